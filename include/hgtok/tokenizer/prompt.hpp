// Prompt splicing, as HiGPT's preprocessing does it: every "<graph>" in a prompt
// becomes  <g_start> + <g_patch> × T_i + <g_end>,  T_i the number of graph
// tokens of the i-th graph (several graphs per prompt: graph in-context
// learning). An LLM runtime then replaces the embeddings of the patch tokens,
// in order, by the rows of the graph token tensors; `patches` says which rows
// go where.
#pragma once

#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"

namespace hgtok {

/// The special token strings (HiGPT's defaults).
struct PromptTokens {
  std::string graph = "<graph>";
  std::string start = "<g_start>";
  std::string patch = "<g_patch>";
  std::string end = "<g_end>";
  bool use_start_end = true;  ///< HiGPT's use_graph_start_end
};

/// Where graph i's patches sit: byte offset of its first patch in the expanded
/// text, and the index of its first patch among all patches of the prompt.
struct GraphSplice {
  std::size_t text_offset = 0;
  Index first_patch = 0;
  Index num_patches = 0;
};

struct ExpandedPrompt {
  std::string text;
  std::vector<GraphSplice> splices;
  Index total_patches = 0;
};

/// Number of placeholders in `prompt`.
inline Index count_graph_placeholders(const std::string& prompt, const PromptTokens& tokens = {}) {
  if (tokens.graph.empty()) throw ValueError("PromptTokens", "graph", "placeholder string is empty");
  Index n = 0;
  for (auto pos = prompt.find(tokens.graph); pos != std::string::npos; pos = prompt.find(tokens.graph, pos + tokens.graph.size())) ++n;
  return n;
}

/// Expands each placeholder i into token_counts[i] patches. Throws ValueError
/// when the number of placeholders differs from token_counts.size(), or a count is negative.
inline ExpandedPrompt expand_prompt(const std::string& prompt, const std::vector<Index>& token_counts,
                                    const PromptTokens& tokens = {}) {
  const Index n = count_graph_placeholders(prompt, tokens);
  if (n != static_cast<Index>(token_counts.size()))
    throw ValueError("prompt", "graphs", "the prompt holds " + std::to_string(n) + " '" + tokens.graph + "' placeholders, " +
                                             std::to_string(token_counts.size()) + " graphs were given");
  ExpandedPrompt out;
  std::size_t from = 0;
  for (std::size_t i = 0; i < token_counts.size(); ++i) {
    if (token_counts[i] < 0)
      throw ValueError("prompt", "token_counts[" + std::to_string(i) + "]", "negative count " + std::to_string(token_counts[i]));
    const auto pos = prompt.find(tokens.graph, from);
    out.text.append(prompt, from, pos - from);
    if (tokens.use_start_end) out.text += tokens.start;
    GraphSplice s{out.text.size(), out.total_patches, token_counts[i]};
    out.text.reserve(out.text.size() + tokens.patch.size() * static_cast<std::size_t>(token_counts[i]));
    for (Index k = 0; k < token_counts[i]; ++k) out.text += tokens.patch;
    if (tokens.use_start_end) out.text += tokens.end;
    out.total_patches += token_counts[i];
    out.splices.push_back(s);
    from = pos + tokens.graph.size();
  }
  out.text.append(prompt, from, std::string::npos);
  return out;
}

}  // namespace hgtok
