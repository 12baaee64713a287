// Compiles hgtok's double instantiations once for the programs that include hgtok/instances.hpp.
#define HGTOK_INSTANCES_SOURCE
#include "hgtok/instances.hpp"

HGTOK_INSTANCES(template, double)
