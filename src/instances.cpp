// Compiles hgtok's float and double instantiations once for the programs that include hgtok/instances.hpp. One file
// for both types: the library code they share (file parsing, JSON, sampling) is compiled once, not twice.
#define HGTOK_INSTANCES_SOURCE
#include "hgtok/instances.hpp"

HGTOK_INSTANCES(template, float)
HGTOK_INSTANCES(template, double)
