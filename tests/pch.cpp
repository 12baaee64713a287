// Empty: the targets that build the precompiled headers of the tests (tests/CMakeLists.txt) and of the examples (examples/CMakeLists.txt) need one source.
