// tokenizer/tokenizer.hpp with every kernel (meta_hgt, hgt, han, meta_han, hetgnn, meta_hetgnn): a one-layer Tokenizer
// built from a kernel's parity fixture (tests/reference/make_{hgt,han,hetgnn}_fixtures.py, PyTorch / PyG
// outputs) encodes to the fixture's expected outputs, and tokenize() equals a graph_projector applied to them;
// HAN's and MetaHAN's metapaths applied from the config equal PyG's AddMetaPaths; random() + save/load round trip; 1 vs 2
// threads; 2-layer stacks feed layer 1 with layer 0's outputs; bad configs and graphs are clear errors naming
// the config and the field.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <hgtok/hgtok.hpp>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_tokenizer_kernels {

using namespace hgtok;
using hgtok_test::TempDir;
using hgtok_test::tests_path;
using nlohmann::json;

namespace {

std::string fixture(const std::string& name) { return tests_path("fixtures/" + name + ".safetensors"); }
std::map<std::string, std::string> meta(const std::string& name) { return SafetensorsFile::open(fixture(name)).metadata(); }

constexpr Index kLlmDim = 6;

json edge_keys(const std::vector<EdgeType>& types) {
  json out = json::array();
  for (const auto& e : types) out.push_back(e.key());
  return out;
}
template <class T>
json widths(const HeteroGraph<T>& g) {
  json out = json::object();
  for (Index t = 0; t < g.num_node_types(); ++t) out[g.node_type_name(t)] = g.feature_dim(t);
  return out;
}

/// A kernel's parity case: its graph, its config (from the fixture's metadata), its expected outputs.
struct Case {
  std::string name, graph, weights, table;
  json config;
};

json walk_fields(const std::map<std::string, std::string>& m) {
  return {{"restart_prob", std::stod(m.at("restart_prob"))},
          {"walk_length", std::stoll(m.at("walk_length"))},
          {"top_k", json::parse(m.at("top_k"))},
          {"seed", std::stoull(m.at("seed"))}};
}

std::vector<Case> cases() {
  std::vector<Case> out;
  {
    const auto g = load_graph<double>(fixture("hgt_h4_graph"));
    const auto m = meta("hgt_h4");
    out.push_back({"hgt", "hgt_h4_graph", "hgt_h4", "",
                   {{"kernel", "hgt"}, {"in_channels", widths(g)}, {"hidden_channels", std::stoll(m.at("out_channels"))},
                    {"heads", std::stoll(m.at("heads"))}, {"num_layers", 1}, {"node_types", g.node_types()},
                    {"edge_types", edge_keys(g.edge_types())}, {"llm_dim", kLlmDim}}});
  }
  {
    const auto m = meta("hgt_meta_h4");
    out.push_back({"meta_hgt", "hgt_meta_h4_graph", "hgt_meta_h4", "hgt_meta_h4_table",
                   {{"kernel", "meta_hgt"}, {"variant", m.at("variant")}, {"in_channels", std::stoll(m.at("in_channels"))},
                    {"hidden_channels", std::stoll(m.at("out_channels"))}, {"heads", std::stoll(m.at("heads"))},
                    {"num_layers", 1}, {"embedding_dim", std::stoll(m.at("embedding_dim"))}, {"llm_dim", kLlmDim}}});
  }
  {
    const auto g = load_graph<double>(fixture("han_graph"));
    const auto m = meta("han_h4");
    out.push_back({"han", "han_graph", "han_h4", "",
                   {{"kernel", "han"}, {"in_channels", widths(g)}, {"hidden_channels", std::stoll(m.at("out_channels"))},
                    {"heads", std::stoll(m.at("heads"))}, {"num_layers", 1}, {"node_types", g.node_types()},
                    {"edge_types", edge_keys(g.edge_types())}, {"llm_dim", kLlmDim}}});
  }
  {
    const auto m = meta("han_meta_h4");
    out.push_back({"meta_han", "han_meta_h4_graph", "han_meta_h4", "han_meta_h4_table",
                   {{"kernel", "meta_han"}, {"in_channels", std::stoll(m.at("in_channels"))},
                    {"hidden_channels", std::stoll(m.at("out_channels"))}, {"heads", std::stoll(m.at("heads"))},
                    {"num_layers", 1}, {"embedding_dim", std::stoll(m.at("embedding_dim"))}, {"llm_dim", kLlmDim}}});
  }
  {
    const auto g = load_graph<double>(fixture("hetgnn_static_graph"));
    const auto m = meta("hetgnn_static");
    json c = {{"kernel", "hetgnn"}, {"hidden_channels", std::stoll(m.at("out_channels"))}, {"num_layers", 1},
              {"node_types", g.node_types()}, {"edge_types", edge_keys(g.edge_types())},
              {"content_dim", json::parse(m.at("content_dims"))}, {"llm_dim", kLlmDim}};
    c.update(walk_fields(m));
    out.push_back({"hetgnn", "hetgnn_static_graph", "hetgnn_static", "", c});
  }
  {
    const auto m = meta("hetgnn_meta");
    json c = {{"kernel", "meta_hetgnn"}, {"hidden_channels", std::stoll(m.at("out_channels"))}, {"num_layers", 1},
              {"embedding_dim", std::stoll(m.at("embedding_dim"))}, {"content_dim", std::stoll(m.at("content_dim"))},
              {"llm_dim", kLlmDim}};
    c.update(walk_fields(m));
    out.push_back({"meta_hetgnn", "hetgnn_meta_graph", "hetgnn_meta", "hetgnn_meta_table", c});
  }
  return out;
}

bool is_output(const std::string& name) {
  for (const char* p : {"expected/", "attention/", "neighbors/"})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

/// The fixture's layer weights under layers.0. plus a graph_projector drawn from Rng(seed); `projector` gets
/// the projector's weight [llm, hidden] and bias.
WeightStore tokenizer_weights(const WeightStore& fixture_weights, Index hidden, Matrix<double>& proj_w, Vector<double>& proj_b) {
  WeightStore w;
  for (const auto& name : fixture_weights.names()) {
    if (is_output(name)) continue;
    const auto v = fixture_weights.view(name).to_vector<double>(true);
    w.add<double>("layers.0." + name, fixture_weights.view(name).shape, v.data());
  }
  Rng rng(2024);
  proj_w.resize(kLlmDim, hidden);
  proj_b.resize(kLlmDim);
  for (Index i = 0; i < proj_w.size(); ++i) proj_w.data()[i] = rng.uniform() - 0.5;
  for (Index i = 0; i < proj_b.size(); ++i) proj_b[i] = rng.uniform() - 0.5;
  w.add<double>("graph_projector.weight", proj_w);
  w.add<double>("graph_projector.bias", proj_b);
  return w;
}

template <class T>
void check_case(const Case& c, double tol, const std::string& graph_path = "") {
  INFO("kernel " << c.name);
  const auto g = load_graph<T>(graph_path.empty() ? fixture(c.graph) : graph_path);
  const auto fw = WeightStore::load(fixture(c.weights));
  Matrix<double> pw;
  Vector<double> pb;
  const auto config = TokenizerConfig::from_json(c.config, c.name + ".json");
  const Tokenizer<T> tok(config, tokenizer_weights(fw, config.hidden_channels, pw, pb));
  REQUIRE(tok.config().kernel == c.name);
  REQUIRE(tok.layers().size() == 1);
  const EmbeddingTable<T> table = c.table.empty() ? EmbeddingTable<T>() : EmbeddingTable<T>::load(fixture(c.table));
  const auto out = c.table.empty() ? tok.encode(g) : tok.encode(g, {{}, &table});
  std::vector<std::string> order;
  for (const auto& name : fw.names())
    if (name.rfind("expected/", 0) == 0) order.push_back(name.substr(9));
  REQUIRE(!order.empty());
  REQUIRE(out.size() == order.size());
  double err = 0;
  for (const auto& type : order) {
    const auto& view = fw.view("expected/" + type);
    const auto& m = out.at(type);
    REQUIRE(view.shape == Shape{m.rows(), m.cols()});
    const auto want = view.to_vector<double>();
    for (Index i = 0; i < m.size(); ++i) err = std::max(err, std::abs(static_cast<double>(m.data()[i]) - want[static_cast<std::size_t>(i)]));
  }
  CHECK(err <= tol);
  // tokenize = graph_projector(expected outputs), types in the requested order (reversed, to see the order kept).
  std::reverse(order.begin(), order.end());
  const auto tokens = c.table.empty() ? tok.tokenize(g, {order}) : tok.tokenize(g, {order, &table});
  REQUIRE(tokens.width() == kLlmDim);
  REQUIRE(tokens.spans.size() == order.size());
  double token_err = 0;
  Index row = 0;
  for (std::size_t s = 0; s < order.size(); ++s) {
    const auto& view = fw.view("expected/" + order[s]);
    const auto e = view.to_vector<double>();
    const Index n = view.shape[0], h = view.shape[1];
    REQUIRE(tokens.spans[s].type == order[s]);
    REQUIRE(tokens.spans[s].offset == row);
    REQUIRE(tokens.spans[s].count == n);
    const Matrix<double> want = ConstMatrixMap<double>(e.data(), n, h) * pw.transpose() + pb.transpose().replicate(n, 1);
    for (Index i = 0; i < n; ++i)
      for (Index k = 0; k < kLlmDim; ++k)
        token_err = std::max(token_err, std::abs(static_cast<double>(tokens.tokens(static_cast<std::size_t>(row + i), static_cast<std::size_t>(k))) - want(i, k)));
    row += n;
  }
  REQUIRE(row == static_cast<Index>(tokens.size()));
  CHECK(token_err <= tol * 10);
}

/// A larger graph where every node type is a destination (so stacks of any depth run): a 700, b 300 nodes.
template <class T>
HeteroGraph<T> big_graph(Index width_a, Index width_b) {
  HeteroGraph<T> g;
  Rng rng(5);
  auto features = [&](Index n, Index w) {
    Matrix<T> x(n, w);
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(rng.uniform() - 0.5);
    return x;
  };
  g.add_node_type("a", features(700, width_a));
  g.add_node_type("b", features(300, width_b));
  auto edges = [&](const std::string& s, const std::string& r, const std::string& d, Index ns, Index nd, Index m) {
    std::vector<Index> src, dst;
    for (Index i = 0; i < m; ++i) {
      src.push_back(static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(ns))));
      dst.push_back(static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(nd))));
    }
    g.add_edge_type({s, r, d}, src.data(), dst.data(), m);
  };
  edges("a", "to", "b", 700, 300, 2500);
  edges("b", "to", "a", 300, 700, 2500);
  edges("a", "cites", "a", 700, 700, 1500);
  return g;
}

json big_config(const std::string& kernel, Index layers) {
  json c = {{"kernel", kernel}, {"hidden_channels", 8}, {"num_layers", layers}, {"projector", "linear"}, {"llm_dim", kLlmDim}};
  if (kernel == "meta_hgt") c["variant"] = "pretrain";
  const bool walks = kernel == "hetgnn" || kernel == "meta_hetgnn";
  if (!walks) c["in_channels"] = 6;
  if (kernel != "hetgnn" && kernel != "meta_hetgnn") c["heads"] = 2;
  if (kernel == "meta_hgt" || kernel == "meta_han" || kernel == "meta_hetgnn") {
    c["embedding_dim"] = 10;
  } else {
    c["node_types"] = {"a", "b"};
    c["edge_types"] = {"a__to__b", "b__to__a", "a__cites__a"};
  }
  if (walks) c.update(json{{"restart_prob", 0.4}, {"walk_length", 30}, {"top_k", 3}, {"seed", 11}, {"content_dim", 3}});
  return c;
}

template <class T>
EmbeddingTable<T> big_table() {
  EmbeddingTable<T> t;
  Rng rng(8);
  for (const std::string key : {"node/a", "node/b", "edge/a__to__b", "edge/b__to__a", "edge/a__cites__a"}) {
    Vector<T> v(10);
    for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<T>(rng.uniform() - 0.5);
    t.add(key, v);
  }
  return t;
}

/// make_han_fixtures.py's APA, PAP, PTP, VPV.
const json kMetapaths = json::array({json::array({"author__writes__paper", "paper__written_by__author"}),
                                     json::array({"paper__written_by__author", "author__writes__paper"}),
                                     json::array({"paper__has__term", "term__in__paper"}),
                                     json::array({"venue__lists__paper", "paper__published_in__venue"})});

const std::vector<std::string> kKernels{"meta_hgt", "hgt", "han", "meta_han", "hetgnn", "meta_hetgnn"};

/// Runs `f` and requires an E whose source, field and message are as given.
template <class E, class F>
void require_error(F&& f, const std::string& source, const std::string& field, const std::string& needle) {
  try {
    f();
  } catch (const E& e) {
    INFO(e.what());
    CHECK(e.source() == source);
    CHECK(e.field() == field);
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
    return;
  } catch (const std::exception& e) {
    FAIL("wrong exception: " << e.what());
  }
  FAIL("no exception (expected one naming " << source << " field " << field << ")");
}

}  // namespace

TEST_CASE("tokenizer kernels: one layer from each kernel's fixture equals PyTorch / PyG (double, float)", "[tokenizer][parity]") {
  for (const auto& c : cases()) {
    check_case<double>(c, 1e-10);
    check_case<float>(c, 1e-5);
  }
}

TEST_CASE("tokenizer kernels: han with metapaths in the config equals PyG's AddMetaPaths + HANConv", "[tokenizer][parity]") {
  // han_graph is AddMetaPaths([APA, PAP, PTP, VPV], drop_orig_edge_types=True, keep_same_node_type=True) of
  // metapath_graph (make_han_fixtures.py); here the Tokenizer builds it from the config.
  Case c = cases()[2];
  REQUIRE(c.name == "han");
  c.graph = "metapath_graph";
  c.config["metapaths"] = kMetapaths;
  c.config["keep_same_node_type"] = true;
  check_case<double>(c, 1e-10);
  // Without keep_same_node_type the transform drops paper__cites__paper as well: other outputs.
  c.config["keep_same_node_type"] = false;
  const auto g = load_graph<double>(fixture("metapath_graph"));
  Matrix<double> pw;
  Vector<double> pb;
  const Tokenizer<double> tok(TokenizerConfig::from_json(c.config, "han.json"),
                              tokenizer_weights(WeightStore::load(fixture("han_h4")), 8, pw, pb));
  const auto want = WeightStore::load(fixture("han_h4")).view("expected/paper").to_vector<double>();
  const auto paper = tok.encode(g).at("paper");
  double diff = 0;
  for (Index i = 0; i < paper.size(); ++i) diff = std::max(diff, std::abs(paper.data()[i] - want[static_cast<std::size_t>(i)]));
  CHECK(diff > 1e-3);
}

TEST_CASE("tokenizer kernels: meta_han with metapaths in the config equals AddMetaPaths + the MetaHAN reference", "[tokenizer][parity]") {
  // han_meta_h4_graph is han_graph (AddMetaPaths of metapath_graph, keep_same_node_type) with features of one
  // width; here the Tokenizer builds the metapath edge types from metapath_graph's relations, and the
  // metapath_<j> embeddings come from the fixture's table.
  Case c = cases()[3];
  REQUIRE(c.name == "meta_han");
  const auto base = load_graph<double>(fixture("metapath_graph"));
  const auto feats = load_graph<double>(fixture(c.graph));
  HeteroGraph<double> g;
  for (const auto& t : base.node_types()) g.add_node_type(t, feats.x(t));
  for (Index e = 0; e < base.num_edge_types(); ++e)
    g.add_edge_type(base.edge_type(e), base.edge_src(e).data(), base.edge_dst(e).data(), base.num_edges(e));
  TempDir dir;
  save_graph(g, dir.file("graph.safetensors"));
  c.graph = "";
  c.config["metapaths"] = kMetapaths;
  c.config["keep_same_node_type"] = true;
  check_case<double>(c, 1e-10, dir.file("graph.safetensors"));
  check_case<float>(c, 1e-5, dir.file("graph.safetensors"));
  // A metapath whose embedding the table lacks is a LookupError naming the key.
  c.config["metapaths"].push_back(json::array({"paper__has__term", "term__in__paper"}));
  Matrix<double> pw;
  Vector<double> pb;
  const Tokenizer<double> tok(TokenizerConfig::from_json(c.config, "meta_han.json"),
                              tokenizer_weights(WeightStore::load(fixture(c.weights)), 8, pw, pb));
  const auto table = EmbeddingTable<double>::load(fixture(c.table));
  HGTOK_REQUIRE_THROWS_WITH(tok.encode(g, {{}, &table}), LookupError, "paper__metapath_4__paper");
}

TEST_CASE("tokenizer kernels: random() + save/load round trip for every kernel", "[tokenizer]") {
  for (const auto& kernel : kKernels) {
    INFO(kernel);
    const auto g = big_graph<float>(6, 6);
    const auto table = big_table<float>();
    const auto config = TokenizerConfig::from_json(big_config(kernel, 2), kernel + ".json");
    const auto tok = Tokenizer<float>::random(config, 3);
    REQUIRE(tok.layers().size() == 2);
    REQUIRE(tok.layers()[0].index() == tok.layers()[1].index());
    TempDir dir;
    tok.save(dir.file("tok"));
    const auto loaded = Tokenizer<float>::load(dir.file("tok"));
    REQUIRE(loaded.config().to_json() == config.to_json());
    const auto a = tok.tokenize(g, {{"b", "a"}, &table}), b = loaded.tokenize(g, {{"b", "a"}, &table});
    REQUIRE(a.size() == 1000);
    REQUIRE((a.tokens == b.tokens));
    // Saving the loaded tokenizer writes the same bytes (names, shapes and values round-trip).
    loaded.save(dir.file("again"));
    CHECK(hgtok_test::read_bytes(dir.file("tok/weights.safetensors")) == hgtok_test::read_bytes(dir.file("again/weights.safetensors")));
    // Another seed gives other tokens; the weights are not all zero.
    const auto other = Tokenizer<float>::random(config, 4).tokenize(g, {{"b", "a"}, &table});
    CHECK((other.tokens != a.tokens));
    CHECK((xt::amax(xt::abs(a.tokens))() > 0.0f));
  }
}

TEST_CASE("tokenizer kernels: bitwise identical tokens at 1 and 2 threads", "[tokenizer]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  for (const auto& kernel : kKernels) {
    INFO(kernel);
    const auto g = big_graph<float>(6, 6);
    const auto table = big_table<float>();
    const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(big_config(kernel, 2), "t.json"), 9);
    set_num_threads(1);
    const auto one = tok.tokenize(g, {{"a", "b"}, &table});
    set_num_threads(2);
    const auto two = tok.tokenize(g, {{"a", "b"}, &table});
    set_num_threads(0);
    REQUIRE(one.tokens.size() == two.tokens.size());
    CHECK(std::equal(one.tokens.begin(), one.tokens.end(), two.tokens.begin()));
  }
}

TEST_CASE("tokenizer kernels: bitwise identical tokens on the AVX2 and AVX-512 GEMM paths", "[tokenizer][isa]") {
  if (!detail::gemm_isa_supported(detail::GemmIsa::avx512)) {
    WARN("SKIPPED: this CPU has no AVX-512F (best GEMM path: " << detail::to_string(detail::gemm_best_isa())
                                                               << "); run this test on a host with AVX2 and AVX-512");
    return;
  }
  for (const auto& kernel : kKernels) {
    INFO(kernel);
    const auto g = big_graph<float>(6, 6);
    const auto table = big_table<float>();
    const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(big_config(kernel, 2), "t.json"), 9);
    auto tokens_on = [&](detail::GemmIsa isa) {
      detail::GemmIsaScope scope(isa);
      return tok.tokenize(g, {{"a", "b"}, &table});
    };
    const auto avx2 = tokens_on(detail::GemmIsa::avx2), avx512 = tokens_on(detail::GemmIsa::avx512);
    REQUIRE(avx2.tokens.size() == avx512.tokens.size());
    CHECK(std::equal(avx2.tokens.begin(), avx2.tokens.end(), avx512.tokens.begin()));
  }
}

TEST_CASE("tokenizer kernels: a 2-layer stack feeds layer 1 with layer 0's outputs", "[tokenizer]") {
  const auto g = big_graph<double>(6, 6);
  const auto table = big_table<double>();
  for (const auto& kernel : kKernels) {
    INFO(kernel);
    const auto tok = Tokenizer<double>::random(TokenizerConfig::from_json(big_config(kernel, 2), "t.json"), 5);
    const auto out = tok.encode(g, {{}, &table});
    REQUIRE(out.size() == 2);
    REQUIRE(out.at("a").rows() == 700);
    REQUIRE(out.at("a").cols() == 8);
    // Layer by layer with the kernels' own forward: x1 = layer0(g), x2 = layer1(g, x1).
    TypeMatrices<double> x0{{"a", g.x("a")}, {"b", g.x("b")}};
    HetNeighbors nb;
    if (kernel == "hetgnn" || kernel == "meta_hetgnn") nb = RandomWalkWithRestart(0.4, 30, 3, 11).sample(g);
    TypeMatrices<double> x = x0;
    for (const auto& layer : tok.layers()) {
      if (const auto* c = std::get_if<MetaHGTConv<double>>(&layer)) x = c->forward(g, x, table);
      if (const auto* c = std::get_if<HGTConv<double>>(&layer)) x = c->forward(g, x);
      if (const auto* c = std::get_if<HANConv<double>>(&layer)) x = c->forward(g, x);
      if (const auto* c = std::get_if<MetaHANConv<double>>(&layer)) x = c->forward(g, x, table);
      if (const auto* c = std::get_if<HetGNN<double>>(&layer)) x = c->forward(g, x, nb);
      if (const auto* c = std::get_if<MetaHetGNN<double>>(&layer)) x = c->forward(g, x, nb, table);
    }
    for (const auto& [type, m] : out) CHECK((m.array() == x.at(type).array()).all());
    // ... and it is not layer 0 alone.
    const auto one = Tokenizer<double>::random(TokenizerConfig::from_json(big_config(kernel, 1), "t.json"), 5).encode(g, {{}, &table});
    CHECK((one.at("a").array() != out.at("a").array()).any());
  }
}

TEST_CASE("tokenizer kernels: static kernels need no table, generated kernels refuse to run without one", "[tokenizer]") {
  const auto g = big_graph<float>(6, 6);
  for (const std::string kernel : {"hgt", "han", "hetgnn"}) {
    const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(big_config(kernel, 1), "t.json"), 1);
    CHECK(!tok.needs_table());
    const auto table = big_table<float>();
    CHECK((tok.tokenize(g, {{"a"}}).tokens == tok.tokenize(g, {{"a"}, &table}).tokens));
  }
  for (const std::string kernel : {"meta_hgt", "meta_han", "meta_hetgnn"}) {
    const auto tok = Tokenizer<float>::random(TokenizerConfig::from_json(big_config(kernel, 1), kernel + ".json"), 1);
    CHECK(tok.needs_table());
    require_error<ValueError>([&] { tok.tokenize(g, {{"a"}}); }, kernel + ".json", "kernel", "pass an EmbeddingTable");
    require_error<ValueError>([&] { tok.encode(g); }, kernel + ".json", "kernel", "pass an EmbeddingTable");
  }
}

TEST_CASE("tokenizer kernels: bad configs are clear errors naming the config file and field", "[tokenizer]") {
  const std::string src = "cfg.json";
  auto parse = [&](const json& j) { return TokenizerConfig::from_json(j, src); };
  auto with = [](json j, const std::string& key, const json& value) {
    j[key] = value;
    return j;
  };
  auto without = [](json j, const std::string& key) {
    j.erase(key);
    return j;
  };
  // Every big config parses and round-trips through to_json.
  for (const auto& kernel : kKernels) CHECK(parse(big_config(kernel, 1)).to_json() == big_config(kernel, 1));
  require_error<ValueError>([&] { parse(with(big_config("hgt", 1), "kernel", "gcn")); }, src, "kernel", "unknown kernel 'gcn'");
  require_error<ValueError>([&] { parse(with(big_config("hgt", 1), "kernel", "meta_gat")); }, src, "kernel",
                            "meta_hgt, hgt, han, meta_han, hetgnn, meta_hetgnn");
  // Static kernels need their metadata; generated kernels refuse it.
  for (const std::string kernel : {"hgt", "han", "hetgnn"}) {
    require_error<FormatError>([&] { parse(without(big_config(kernel, 1), "node_types")); }, src, "node_types", "missing");
    require_error<FormatError>([&] { parse(without(big_config(kernel, 1), "edge_types")); }, src, "edge_types", "missing");
    require_error<FormatError>([&] { parse(with(big_config(kernel, 1), "embedding_dim", 10)); }, src, "embedding_dim", "does not take");
  }
  for (const std::string kernel : {"meta_hgt", "meta_han", "meta_hetgnn"}) {
    require_error<FormatError>([&] { parse(with(big_config(kernel, 1), "node_types", {"a"})); }, src, "node_types", "does not take");
    require_error<FormatError>([&] { parse(with(big_config(kernel, 1), "edge_types", {"a__to__b"})); }, src, "edge_types",
                               "does not take");
    require_error<FormatError>([&] { parse(without(big_config(kernel, 1), "embedding_dim")); }, src, "embedding_dim", "got nothing");
  }
  // Fields of other kernels.
  require_error<FormatError>([&] { parse(with(big_config("hgt", 1), "metapaths", json::array())); }, src, "metapaths", "HAN's");
  require_error<FormatError>([&] { parse(with(big_config("meta_hgt", 1), "metapaths", json::array())); }, src, "metapaths", "HAN's");
  // meta_han: a metapath's edge type needs no listing (its embedding comes from the table), but must chain.
  auto meta_han = big_config("meta_han", 1);
  CHECK(parse(with(meta_han, "metapaths", json::array({json::array({"a__to__b", "b__to__a"})}))).metapaths.size() == 1);
  require_error<ValueError>([&] { parse(with(meta_han, "metapaths", json::array({json::array({"a__to__b", "a__to__b"})}))); }, src,
                            "metapaths[0]", "relations do not chain");
  require_error<FormatError>([&] { parse(with(big_config("han", 1), "top_k", 3)); }, src, "top_k", "HetGNN's");
  require_error<FormatError>([&] { parse(with(big_config("hetgnn", 1), "in_channels", 6)); }, src, "in_channels", "content_dim");
  require_error<FormatError>([&] { parse(with(big_config("hetgnn", 1), "heads", 2)); }, src, "heads", "no attention heads");
  require_error<FormatError>([&] { parse(with(big_config("hgt", 1), "variant", "inference")); }, src, "variant", "only meta_hgt");
  require_error<FormatError>([&] { parse(with(big_config("meta_hgt", 1), "in_channels", json{{"a", 6}})); }, src, "in_channels",
                             "integer");
  // Metadata that does not hold together.
  require_error<LookupError>([&] { parse(with(big_config("hgt", 1), "edge_types", {"a__to__b", "a__to__c"})); }, src,
                             "edge_types[1]", "node type 'c', which is not in node_types");
  require_error<FormatError>([&] { parse(with(big_config("hgt", 1), "edge_types", {"a__b"})); }, src, "edge_types[0]",
                             "'a__b' is not an edge type");
  require_error<ValueError>([&] { parse(with(big_config("hgt", 1), "edge_types", {"a__to__b", "a__to__b"})); }, src,
                            "edge_types[1]", "listed twice");
  require_error<LookupError>([&] { parse(with(big_config("hgt", 1), "in_channels", json{{"a", 6}})); }, src, "in_channels",
                             "no value for node type 'b'");
  require_error<LookupError>([&] { parse(with(big_config("hgt", 1), "in_channels", json{{"a", 6}, {"b", 6}, {"c", 6}})); }, src,
                             "in_channels/c", "not in node_types");
  require_error<ValueError>([&] { parse(with(big_config("hetgnn", 1), "hidden_channels", 7)); }, src, "hidden_channels", "even");
  // Metapaths: must chain, and what they build must be one of edge_types.
  auto han = with(big_config("han", 1), "edge_types", {"a__metapath_0__a", "b__to__a"});
  CHECK(parse(with(han, "metapaths", json::array({json::array({"a__to__b", "b__to__a"})}))).metapaths.size() == 1);
  require_error<ValueError>([&] { parse(with(han, "metapaths", json::array({json::array({"a__to__b", "a__to__b"})}))); }, src, "metapaths[0]",
                            "relations do not chain: 'a__to__b' ends at node type 'b' but 'a__to__b' starts at 'a'");
  require_error<ValueError>([&] { parse(with(han, "metapaths", json::array({json::array({"a__to__b"})}))); }, src, "metapaths[0]", "at least two");
  require_error<LookupError>([&] { parse(with(han, "metapaths", json::array({json::array({"b__to__a", "a__to__b"})}))); }, src, "edge_types",
                             "metapaths[0] builds edge type 'b__metapath_0__b', which is not in edge_types");
  require_error<FormatError>([&] { parse(with(han, "keep_same_node_type", true)); }, src, "keep_same_node_type", "only applies with metapaths");
  // Walk parameters.
  require_error<FormatError>([&] { parse(with(big_config("hetgnn", 1), "restart_prob", 1.5)); }, src, "restart_prob", "[0, 1]");
  require_error<FormatError>([&] { parse(without(big_config("meta_hetgnn", 1), "seed")); }, src, "seed", "non-negative integer");
  require_error<LookupError>([&] { parse(with(big_config("hetgnn", 1), "top_k", json{{"z", 2}})); }, src, "top_k/z", "not in node_types");
  require_error<LookupError>([&] { parse(with(big_config("hetgnn", 1), "content_dim", json{{"a", 3}})); }, src, "content_dim",
                             "no value for node type 'b'");
  // A config file: the errors name its path.
  TempDir dir;
  const auto tok = Tokenizer<float>::random(parse(big_config("hgt", 1)), 1);
  tok.save(dir.file("tok"));
  std::ofstream(dir.file("tok/config.json")) << with(big_config("hgt", 1), "kernel", "gcn").dump();
  require_error<ValueError>([&] { Tokenizer<float>::load(dir.file("tok")); }, dir.file("tok/config.json"), "kernel", "unknown kernel");
  // Weights: a tensor of another kernel's layer is not used by the config.
  std::ofstream(dir.file("tok/config.json")) << big_config("han", 1).dump();
  REQUIRE_THROWS_AS(Tokenizer<float>::load(dir.file("tok")), LookupError);  // HAN's proj.* are missing
}

TEST_CASE("tokenizer kernels: graphs that do not fit the config are clear errors", "[tokenizer]") {
  const auto table = big_table<float>();
  TempDir dir;
  for (const std::string kernel : {"hgt", "han", "hetgnn"}) {
    INFO(kernel);
    Tokenizer<float>::random(TokenizerConfig::from_json(big_config(kernel, 1), "t.json"), 1).save(dir.file(kernel));
    const auto tok = Tokenizer<float>::load(dir.file(kernel));
    const std::string src = dir.file(kernel + "/config.json");
    auto g = big_graph<float>(6, 6);
    g.add_edge_type({"b", "likes", "b"}, {0, 1});
    require_error<LookupError>([&] { tok.tokenize(g, {{"a"}}); }, src, "edge_types",
                               "the graph's edge type 'b__likes__b' is not one of the config's edge_types");
    auto h = big_graph<float>(6, 6);
    h.add_node_type("c", Matrix<float>::Zero(2, 6));
    require_error<LookupError>([&] { tok.tokenize(h, {{"a"}}); }, src, "node_types",
                               "the graph's node type 'c' is not one of the config's node_types");
  }
  // Feature widths.
  const auto hgt = Tokenizer<float>::random(TokenizerConfig::from_json(big_config("hgt", 1), "t.json"), 1);
  HGTOK_REQUIRE_THROWS_WITH(hgt.tokenize(big_graph<float>(5, 6), {{"a"}}), ShapeError, "in_channels is 6");
  const auto hetgnn = Tokenizer<float>::random(TokenizerConfig::from_json(big_config("hetgnn", 1), "t.json"), 1);
  HGTOK_REQUIRE_THROWS_WITH(hetgnn.tokenize(big_graph<float>(6, 7), {{"a"}}), ShapeError, "not a positive multiple of the tokenizer's content_dim 3");
  CHECK(hetgnn.tokenize(big_graph<float>(6, 9), {{"a", "b"}}).size() == 1000);  // 3 content vectors: fine
  // A type that the HGT layer gives no output (hgt_h4's keyword is only ever a source).
  {
    const auto c = cases()[0];
    const auto g = load_graph<float>(fixture(c.graph));
    Matrix<double> pw;
    Vector<double> pb;
    const Tokenizer<float> tok(TokenizerConfig::from_json(c.config, "hgt.json"),
                               tokenizer_weights(WeightStore::load(fixture(c.weights)), 16, pw, pb));
    HGTOK_REQUIRE_THROWS_WITH(tok.tokenize(g, {{"movie", "keyword"}}), LookupError, "'keyword' receives no edge type");
    CHECK(tok.tokenize(g, {{"studio"}}).size() == 2);  // destination of a zero-edge relation: an output
    // Two layers: layer 1 would read actor and keyword, which layer 0 gives no output (only ever sources).
    auto two = c.config;
    two["num_layers"] = 2;
    require_error<LookupError>([&] { Tokenizer<float>::random(TokenizerConfig::from_json(two, "hgt2.json"), 1).tokenize(g, {{"movie"}}); },
                               "Tokenizer", "num_layers", "but layer 0 gives it no output");
    // The fixture file itself holds expected/* outputs: tensors the config does not use.
    WeightStore all = tokenizer_weights(WeightStore::load(fixture(c.weights)), 16, pw, pb);
    const auto v = WeightStore::load(fixture(c.weights)).view("expected/movie").to_vector<double>(true);
    all.add<double>("layers.1.expected/movie", WeightStore::load(fixture(c.weights)).view("expected/movie").shape, v.data());
    HGTOK_REQUIRE_THROWS_WITH(Tokenizer<float>(TokenizerConfig::from_json(c.config, "hgt.json"), all), FormatError,
                              "is not used by the config (kernel hgt");
  }
  // HAN metapaths whose relations the graph lacks.
  {
    auto c = cases()[2];
    c.config["metapaths"] = kMetapaths;
    Matrix<double> pw;
    Vector<double> pb;
    const Tokenizer<double> tok(TokenizerConfig::from_json(c.config, "han.json"),
                                tokenizer_weights(WeightStore::load(fixture(c.weights)), 8, pw, pb));
    // han_graph already holds the metapath edge types, not the relations they are built from.
    require_error<LookupError>([&] { tok.encode(load_graph<double>(fixture("han_graph"))); }, "han.json", "metapaths[0]",
                               "edge type 'author__writes__paper' is not in the graph");
  }
}

}  // namespace test_tokenizer_kernels
