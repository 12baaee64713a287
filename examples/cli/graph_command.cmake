# Tests of `hgtok graph` (graph_command.hpp), label cli: compile the bundled sample graph, check it in full against
# its source, and tokenize from it with the output of the bundled run (cli:tokenize_bundled).
set(cli_compiled ${CMAKE_CURRENT_BINARY_DIR}/imdb_sample.compiled.safetensors)
set(cli_sample ${PROJECT_SOURCE_DIR}/examples/data/imdb_sample.safetensors)
add_test(NAME cli:graph_compile COMMAND hgtok_cli graph compile ${cli_sample} ${cli_compiled} --by-source)
add_test(NAME cli:graph_check COMMAND hgtok_cli graph check ${cli_compiled} --full --source ${cli_sample})
add_test(NAME cli:graph_check_stale COMMAND hgtok_cli graph check ${cli_compiled} --source ${PROJECT_SOURCE_DIR}/examples/data/imdb_types.safetensors)
add_test(NAME cli:tokenize_compiled COMMAND hgtok_cli tokenize --graph ${cli_compiled})
set_tests_properties(cli:graph_compile PROPERTIES LABELS cli FIXTURES_SETUP cli_compiled)
set_tests_properties(cli:graph_check PROPERTIES LABELS cli FIXTURES_REQUIRED cli_compiled
  PASS_REGULAR_EXPRESSION "61 nodes, 130 edges, fully checked against")
set_tests_properties(cli:graph_check_stale PROPERTIES LABELS cli FIXTURES_REQUIRED cli_compiled
  PASS_REGULAR_EXPRESSION "hgtok_source_checksum.*stale")
set_tests_properties(cli:tokenize_compiled PROPERTIES LABELS cli FIXTURES_REQUIRED cli_compiled
  PASS_REGULAR_EXPRESSION "tokens: \\[7, 4096\\].*movie \\(type id 0\\): rows 0\\.\\.4.*<g_start><g_patch><g_patch><g_patch><g_patch><g_patch><g_patch><g_patch><g_end>")
