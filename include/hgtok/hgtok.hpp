// hgtok: heterogeneous graph tokenizers. Include this for everything.
#pragma once

#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/io.hpp"
#include "hgtok/io/dtype.hpp"
#include "hgtok/io/npy.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/layer_norm.hpp"
#include "hgtok/nn/linear.hpp"
