// docs/extending.md's path, walked in a test: a kernel that exists only in this file (one Linear per node type) is
// registered with one trait and one list entry (BuiltinKernels::With<...>), and a Tokenizer composes it: config
// parsing and its JSON round trip, random(), tokenize / tokenize_many / encode, save / load. Also: the docs' kernel
// table is the registry's.
#include <catch2/catch.hpp>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_extending {

using namespace hgtok;
using hgtok_test::TempDir;
using nlohmann::json;

namespace {

/// The kernel's header would hold this: out[t] = x[t]·W_tᵀ + b_t, one Linear per node type (no message passing).
template <class T>
class PerTypeLinear {
 public:
  PerTypeLinear(const std::map<std::string, Index>& in, Index out) : out_(out) {
    for (const auto& [type, width] : in) lins_.emplace(type, nn::Linear<T>(width, out));
  }
  static PerTypeLinear load(const WeightStore& w, const std::string& prefix, const std::map<std::string, Index>& in, Index out) {
    PerTypeLinear l(in, out);
    for (auto& [type, lin] : l.lins_) lin = nn::Linear<T>::load(w, prefix + "lin." + type, in.at(type), out);
    return l;
  }
  void save(WeightStore& w, const std::string& prefix) const {
    for (const auto& [type, lin] : lins_) lin.save(w, prefix + "lin." + type);
  }
  Index out_channels() const { return out_; }
  const nn::Linear<T>& lin(const std::string& type) const { return lins_.at(type); }
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x) const {
    TypeMatrices<T> out;
    for (const auto& type : g.node_types()) out[type] = lins_.at(type).forward(x.at(type));
    return out;
  }

 private:
  std::map<std::string, nn::Linear<T>> lins_;
  Index out_ = 0;
};

/// Its registry entry: the trait (tokenizer/kernels.hpp lists what each member means).
struct PerTypeLinearKernel : KernelTraitDefaults {
  static constexpr const char* name = "per_type_linear";
  static constexpr bool generated = false;
  static std::vector<std::string> fields() { return {"in_channels", "node_types", "edge_types"}; }
  static constexpr const char* doc_layer = "one Linear per node type (test only)";
  static constexpr const char* doc_weights = "`lin.<t>.*`";
  template <class T>
  using Layer = PerTypeLinear<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto in = tokenizer_layer_widths(c, l, false);
    if (!w) return PerTypeLinear<T>(in, c.hidden_channels);
    return PerTypeLinear<T>::load(*w, prefix, in, c.hidden_channels);
  }
  template <class T>
  static TypeMatrices<T> forward(const PerTypeLinear<T>& layer, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return layer.forward(*in.graph, x);
  }
  static constexpr bool reads_every_type = true;
  template <class T>
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>&, Index) {
    return true;
  }
};

using TestKernels = BuiltinKernels::With<PerTypeLinearKernel>;
using TestTokenizer = Tokenizer<double, TestKernels>;

HeteroGraph<double> small_graph() {
  HeteroGraph<double> g;
  Rng rng(3);
  auto features = [&](Index n, Index w) {
    Matrix<double> x(n, w);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform() - 0.5;
    return x;
  };
  g.add_node_type("paper", features(5, 4));
  g.add_node_type("author", features(3, 6));
  const std::vector<Index> src{0, 1, 2, 2}, dst{0, 1, 3, 4};
  g.add_edge_type({"author", "writes", "paper"}, src.data(), dst.data(), 4);
  return g;
}

json linear_config() {
  return {{"kernel", "per_type_linear"}, {"in_channels", {{"paper", 4}, {"author", 6}}}, {"hidden_channels", 8},
          {"num_layers", 1}, {"node_types", {"paper", "author"}}, {"edge_types", {"author__writes__paper"}},
          {"projector", "linear"}, {"llm_dim", 5}};
}

}  // namespace

TEST_CASE("extending: a kernel registered in this file parses, round-trips its config and tokenizes", "[tokenizer]") {
  const TokenizerConfig config = TestTokenizer::parse_config(linear_config(), "linear.json");
  CHECK(config.kernel == "per_type_linear");
  CHECK(config.in_width("author") == 6);
  // Config JSON round trip through the registry's field table.
  CHECK(config.to_json(TestKernels::infos()) == linear_config());
  CHECK(TestTokenizer::parse_config(config.to_json(TestKernels::infos()), "again.json").to_json(TestKernels::infos()) ==
        linear_config());
  // The library's own registry does not know it; fields the trait does not list are refused.
  HGTOK_REQUIRE_THROWS_WITH(TokenizerConfig::from_json(linear_config(), "linear.json"), ValueError, "unknown kernel 'per_type_linear'");
  json heads = linear_config();
  heads["heads"] = 2;
  HGTOK_REQUIRE_THROWS_WITH(TestTokenizer::parse_config(heads, "linear.json"), FormatError, "does not take 'heads'");
  json no_types = linear_config();
  no_types.erase("node_types");
  HGTOK_REQUIRE_THROWS_WITH(TestTokenizer::parse_config(no_types, "linear.json"), FormatError, "node_types");

  const TestTokenizer tok = TestTokenizer::random(config, 9);
  CHECK(!tok.needs_table());
  CHECK(!tok.tokenizes_as_union());
  const auto g = small_graph();
  const auto encoded = tok.encode(g);
  const auto& layer = std::get<PerTypeLinear<double>>(tok.layers()[0]);
  for (const std::string type : {"paper", "author"}) {
    const Matrix<double> want = layer.lin(type).forward(g.x(g.node_type_id(type)));
    CHECK(encoded.at(type) == want);
  }
  const auto tokens = tok.tokenize(g, {{"author", "paper"}});
  REQUIRE(tokens.size() == 8);
  REQUIRE(tokens.width() == 5);
  Matrix<double> want(8, 5);
  tok.projector().forward_rows_into(encoded.at("author"), want.topRows(3));
  tok.projector().forward_rows_into(encoded.at("paper"), want.bottomRows(5));
  for (Index i = 0; i < want.size(); ++i) CHECK(tokens.tokens.data()[i] == want.data()[i]);

  // Subgraphs: tokenize_many equals tokenize one by one; a bad one fails alone into the error sink.
  const NeighborSampler sampler({2}, 4);
  std::vector<Subgraph<double>> subs{sampler.sample(g, "paper", 0), sampler.sample(g, "paper", 3)};
  const std::vector<const Subgraph<double>*> ptrs{&subs[0], &subs[1], nullptr};
  std::vector<std::string> errors(3);
  const auto sink = [&errors](std::size_t i, const std::string& message) { errors.at(i) = message; };
  const auto many = tok.tokenize_many(ptrs, {{"paper"}, nullptr, nullptr, sink});
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].empty());
  CHECK(errors[2].find("is null") != std::string::npos);
  for (std::size_t i = 0; i < 2; ++i) CHECK((many[i].tokens == tok.tokenize(subs[i], {{"paper"}}).tokens));

  // save / load round trip: the same config.json, the same tokens.
  TempDir dir;
  tok.save(dir.file("tok"));
  const TestTokenizer loaded = TestTokenizer::load(dir.file("tok"));
  CHECK(loaded.config().to_json(TestTokenizer::kernels()) == linear_config());
  CHECK((loaded.tokenize(g, {{"author", "paper"}}).tokens == tokens.tokens));

  // tokenize_batch takes the registry's tokenizer too: the shard holds each target's rows as tokenize gives them.
  BatchOptions batch;
  batch.target_type = "paper";
  batch.type_order = {"paper"};
  batch.progress = 0;
  const std::vector<Index> targets{0, 3};
  const auto report = tokenize_batch(tok, g, EmbeddingTable<double>(), sampler, targets, dir.file("batch"), batch);
  CHECK(report.complete);
  CHECK(report.failed.empty());
  CHECK(report.targets_done == 2);
  std::ifstream index_file(dir.file("batch/index.json"));
  const auto index = json::parse(index_file);
  const auto shard = SafetensorsFile::open(dir.file("batch/" + index["shards"][0]["file"].get<std::string>()));
  const auto rows = shard.at("tokens").to_vector<double>();
  const auto offsets = shard.at("row_offsets").to_vector<Index>();
  for (std::size_t i = 0; i < 2; ++i) {
    const auto want = tok.tokenize(subs[i], {{"paper"}}).tokens;
    REQUIRE(offsets[i + 1] - offsets[i] == static_cast<Index>(want.size()) / tok.config().llm_dim);
    CHECK(std::equal(want.begin(), want.end(), rows.begin() + offsets[i] * tok.config().llm_dim));
  }
}

TEST_CASE("extending: docs/tokenizer.md's kernel table is the registry's", "[tokenizer]") {
  std::ifstream in(std::string(HGTOK_SOURCE_DIR) + "/docs/tokenizer.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string table = BuiltinKernels::markdown_table();
  INFO("docs/tokenizer.md should hold, verbatim:\n" << table);
  CHECK(text.str().find(table) != std::string::npos);
}

}  // namespace test_extending
