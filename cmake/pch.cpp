// Empty: the target that builds the precompiled header of the programs built at -O0 (hgtok_program_at_O0 in
// CMakeLists.txt) needs a source.
