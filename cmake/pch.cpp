// Empty: the target that builds the examples' and the CLI's precompiled header (examples/CMakeLists.txt) needs a source.
