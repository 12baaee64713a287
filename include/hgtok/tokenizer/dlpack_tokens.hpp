// Graph tokens handed off as DLPack (io/dlpack.hpp): the token tensor [T, d_llm] leaves without a copy.
#pragma once

#include <utility>

#include "hgtok/io/dlpack.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"

namespace hgtok {

/// The token tensor [T, d_llm] of `tokens`, without a copy (spans and node ids stay with the caller's copy).
/// The caller owns the result and must call result->deleter(result) once.
template <class T>
DLManagedTensor* to_dlpack(GraphTokens<T>&& tokens) {
  return to_dlpack(std::move(tokens.tokens));
}

}  // namespace hgtok
