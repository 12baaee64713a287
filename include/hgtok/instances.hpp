#pragma once
// hgtok's heavy class templates for float and double, declared as explicit instantiations (`extern template`), so
// that a program compiles each of them once, in src/instances.cpp (CMake target hgtok_instances),
// instead of in every translation unit that uses them. Optional: the library stays header-only, and including this
// header changes no result, only where the code is compiled. A program that includes it compiles and links that
// file as well (installed to share/hgtok/src). hgtok's tests, examples and CLI do (docs/benchmarks.md, "Build time").
#include "hgtok/hgtok.hpp"

// `prefix` is `extern template` (a declaration) or `template` (the definition, in src/instances.cpp).
#define HGTOK_INSTANCES(prefix, T)            \
  prefix class hgtok::HeteroGraph<T>;         \
  prefix class hgtok::EmbeddingTable<T>;      \
  prefix class hgtok::nn::Linear<T>;          \
  prefix class hgtok::nn::LayerNorm<T>;       \
  prefix class hgtok::nn::LSTM<T>;            \
  prefix class hgtok::BertModel<T>;           \
  prefix class hgtok::SentenceEncoder<T>;     \
  prefix class hgtok::ParameterGenerator<T>;  \
  prefix class hgtok::GeneratedProjectors<T>; \
  prefix class hgtok::StaticProjectors<T>;    \
  prefix class hgtok::ProjectorCache<T>;      \
  prefix class hgtok::HGTConv<T>;             \
  prefix class hgtok::MetaHGTConv<T>;         \
  prefix class hgtok::HANConv<T>;             \
  prefix class hgtok::MetaHANConv<T>;         \
  prefix class hgtok::HetGNN<T>;              \
  prefix class hgtok::MetaHetGNN<T>;          \
  prefix class hgtok::LLMProjector<T>;        \
  prefix class hgtok::Tokenizer<T, hgtok::BuiltinKernels>;

#ifndef HGTOK_INSTANCES_SOURCE
HGTOK_INSTANCES(extern template, float)
HGTOK_INSTANCES(extern template, double)
#endif
