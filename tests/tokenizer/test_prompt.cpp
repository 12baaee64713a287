// tokenizer/prompt.hpp: expand_prompt against HiGPT's <graph> replacement loop (fixture from
// tests/reference/make_tokenizer_fixtures.py, prompts with 0, 1 and 3 graphs), splice positions, bad input.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_prompt {

using namespace hgtok;
using hgtok_test::tests_path;

TEST_CASE("prompt: expansion equals HiGPT's replacement for 0, 1 and 3 graphs", "[tokenizer][prompt]") {
  std::ifstream in(tests_path("fixtures/tokenizer_prompts.json"));
  const auto cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() == 8);
  for (const auto& c : cases) {
    PromptTokens tokens;
    tokens.use_start_end = c["use_start_end"].get<bool>();
    const auto counts = c["counts"].get<std::vector<Index>>();
    const auto out = expand_prompt(c["prompt"].get<std::string>(), counts, tokens);
    INFO(c["prompt"].get<std::string>());
    REQUIRE(out.text == c["expected"].get<std::string>());
    REQUIRE(out.splices.size() == counts.size());
    // Splice positions: graph i's patches sit at text_offset, consecutively, and are patches
    // first_patch .. first_patch + count of the prompt.
    Index first = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const auto& s = out.splices[i];
      REQUIRE(s.num_patches == counts[i]);
      REQUIRE(s.first_patch == first);
      first += counts[i];
      for (Index k = 0; k < s.num_patches; ++k)
        REQUIRE(out.text.compare(s.text_offset + static_cast<std::size_t>(k) * tokens.patch.size(), tokens.patch.size(),
                                 tokens.patch) == 0);
      if (tokens.use_start_end)
        REQUIRE(out.text.compare(s.text_offset - tokens.start.size(), tokens.start.size(), tokens.start) == 0);
    }
    REQUIRE(out.total_patches == first);
  }
}

TEST_CASE("prompt: token strings are configurable", "[tokenizer][prompt]") {
  PromptTokens tokens;
  tokens.graph = "[G]";
  tokens.start = "<s>";
  tokens.patch = "#";
  tokens.end = "</s>";
  const auto out = expand_prompt("a [G] b [G]", {2, 1}, tokens);
  REQUIRE(out.text == "a <s>##</s> b <s>#</s>");
  REQUIRE(out.splices[1].text_offset == out.text.find("<s>#</s>") + 3);
  REQUIRE(count_graph_placeholders("[G][G][G]", tokens) == 3);
}

TEST_CASE("prompt: placeholder and graph counts must agree", "[tokenizer][prompt]") {
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph> and <graph>", {1}), ValueError, "2 '<graph>' placeholders, 1 graphs");
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph>", {1, 2}), ValueError, "1 '<graph>' placeholders, 2 graphs");
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("no graph", {4}), ValueError, "0 '<graph>' placeholders, 1 graphs");
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("<graph>", {-1}), ValueError, "negative count");
  PromptTokens empty;
  empty.graph = "";
  HGTOK_REQUIRE_THROWS_WITH(expand_prompt("x", {}, empty), ValueError, "placeholder string is empty");
}

}  // namespace test_prompt
