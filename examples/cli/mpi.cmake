# The CLI's MPI batch (HGTOK_WITH_MPI=ON): mpi_batch.cpp, and a test (label cli) that runs
# `mpirun -np 2 hgtok tokenize --batch-out` on the bundled sample graph and compares every file with the
# single-process run, then makes one rank fail (exit code 4, missing shards named) and resumes with 3 ranks.
target_sources(hgtok_cli PRIVATE ${CMAKE_CURRENT_LIST_DIR}/mpi_batch.cpp)
target_link_libraries(hgtok_cli PRIVATE hgtok::mpi)
if(HGTOK_BUILD_TESTS)
  add_test(NAME cli:batch_mpi
           COMMAND ${CMAKE_COMMAND} -DHGTOK=$<TARGET_FILE:hgtok_cli> -DMPIEXEC=${MPIEXEC_EXECUTABLE}
                   -DDIR=${CMAKE_CURRENT_BINARY_DIR}/cli_batch_mpi -P ${CMAKE_CURRENT_LIST_DIR}/mpi_check.cmake)
  set_tests_properties(cli:batch_mpi PROPERTIES LABELS "cli;mpi" TIMEOUT 300 ENVIRONMENT
    "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_btl_vader_single_copy_mechanism=none")
endif()
