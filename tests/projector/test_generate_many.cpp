// Generating the projectors of several types in one pass (ParameterGenerator::generate_many,
// GeneratedProjectors::get_many, MetaHGTConv's first call on new types) gives every type the bytes it gets when
// generated alone: for float and double, at 1 and 2 threads.
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "hgtok/hgtok.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_generate_many {

using namespace hgtok;

template <class A, class B>
bool same_bytes(const A& a, const B& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(typename A::Scalar) * static_cast<std::size_t>(a.size())) == 0;
}

TEMPLATE_TEST_CASE("generate_many equals generate per type, bitwise, at 1 and 2 threads", "[projector]", float, double) {
  using T = TestType;
  hgtok::ThreadScope restore(0);
  // in·out = 21,000 columns: the last layer's product is split over threads by columns.
  ParameterGenerator<T> gen(8, 300, 70);
  Rng rng(5);
  for (auto* mlp : {&gen.weight_mlp(), &gen.bias_mlp()})
    for (auto& layer : *mlp) {
      for (Index i = 0; i < layer.weight_t().size(); ++i) layer.weight_t().data()[i] = static_cast<T>(2 * rng.uniform() - 1);
      for (Index i = 0; i < layer.bias().size(); ++i) layer.bias()[i] = static_cast<T>(2 * rng.uniform() - 1);
    }
  std::vector<Vector<T>> embeddings(5, Vector<T>(8));
  for (auto& e : embeddings)
    for (Index i = 0; i < 8; ++i) e[i] = static_cast<T>(2 * rng.uniform() - 1);
  std::vector<const Vector<T>*> ptrs;
  for (const auto& e : embeddings) ptrs.push_back(&e);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const auto many = gen.generate_many(ptrs);
    REQUIRE(many.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
      const auto one = gen.generate(embeddings[i]);
      REQUIRE(many[i].weight_t().rows() == 300);
      REQUIRE(many[i].weight_t().cols() == 70);
      REQUIRE(same_bytes(many[i].weight_t(), one.weight_t()));
      REQUIRE(same_bytes(many[i].bias(), one.bias()));
    }
  }
  const Vector<T> narrow = Vector<T>::Zero(7);
  HGTOK_REQUIRE_THROWS_WITH(gen.generate_many({ptrs[0], &narrow}, {"movie", "actor"}), ShapeError,
                            "field 'actor': type embedding width 7, generator expects 8");

  // get_many: the missing ones generated together, cached ones reused, a key twice made once.
  GeneratedProjectors<T> src(gen, "kqv_lin");
  const auto first = src.get("movie", ptrs[0]);
  const auto got = src.get_many({"movie", "actor", "director", "actor"}, {ptrs[0], ptrs[1], ptrs[2], ptrs[1]});
  REQUIRE(got[0].get() == first.get());
  REQUIRE(got[1].get() == got[3].get());
  REQUIRE(src.cache().misses() == 3);
  REQUIRE(src.cache().hits() == 1);
  REQUIRE(same_bytes(got[2]->weight_t(), gen.generate(embeddings[2]).weight_t()));
  HGTOK_REQUIRE_THROWS_WITH(src.get_many({"studio"}, {nullptr}), LookupError, "studio");
}

TEMPLATE_TEST_CASE("MetaHGT: tokens after one-pass generation of all types equal those after one type at a time",
                   "[projector]", float, double) {
  using T = TestType;
  hgtok::ThreadScope restore(0);
  const auto graph = load_graph<T>(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors");
  const auto table = EmbeddingTable<T>::load(std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_types.safetensors");
  TokenizerConfig config;
  config.in_channels = graph.feature_dim(0);
  config.hidden_channels = 16;
  config.heads = 2;
  config.num_layers = 2;
  config.embedding_dim = table.dim();
  config.llm_dim = 8;
  const auto sub = NeighborSampler({4, 3}, 2).sample(graph, "movie", 3);
  const std::vector<std::string> order{"movie", "director", "actor"};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const auto batched = Tokenizer<T>::random(config, 9);  // first call generates every type of a layer in one pass
    const auto one_by_one = Tokenizer<T>::random(config, 9);
    for (const auto& layer : one_by_one.layers()) {  // each type alone, before the first call
      const auto& conv = std::get<MetaHGTConv<T>>(layer);
      for (Index t = 0; t < sub.graph.num_node_types(); ++t) {
        const std::string& name = sub.graph.node_type_name(t);
        conv.kqv_lin().get(name, &table.node(name));
        conv.out_lin().get(name, &table.node(name));
      }
      for (Index e = 0; e < sub.graph.num_edge_types(); ++e) {
        const auto& type = sub.graph.edge_type(e);
        conv.k_rel().get(type.key(), &table.edge(type));
        conv.v_rel().get(type.key(), &table.edge(type));
      }
    }
    const auto a = batched.tokenize(sub, {order, &table});
    const auto b = one_by_one.tokenize(sub, {order, &table});
    REQUIRE(a.size() > 0);
    REQUIRE(a.tokens == b.tokens);
    const auto& first = std::get<MetaHGTConv<T>>(batched.layers()[0]);
    REQUIRE(first.kqv_lin().cache_size() == 3);  // the bytes above came from one-pass generation
  }
}

}  // namespace test_generate_many
