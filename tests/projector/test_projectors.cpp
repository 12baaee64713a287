// ParameterGenerator against HiGPT's ParameterGenerator run by torch (tests/fixtures/hgt_nn.safetensors);
// GeneratedProjectors cache behaviour; StaticProjectors lookups; bad input.
#include <thread>
#include <vector>

#include "hgtok/io/weight_store.hpp"
#include "hgtok/projector/generated_projectors.hpp"
#include "hgtok/projector/static_projectors.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_projectors {

using namespace hgtok;

namespace {
const WeightStore& store() {
  static const WeightStore w = WeightStore::load(hgtok_test::tests_path("fixtures/hgt_nn.safetensors"));
  return w;
}
}  // namespace

TEMPLATE_TEST_CASE("ParameterGenerator matches HiGPT's generator", "[projector]", double, float) {
  const double tol = std::is_same<TestType, double>::value ? 1e-12 : 1e-5;
  const auto gen = ParameterGenerator<TestType>::load(store(), "generator.lin_gen", 10, 3, 4);
  CHECK(gen.hidden_dim() == 5);
  const auto e = store().vector<TestType>("generator/embedding", 10);
  const auto p = gen.generate(e);
  const auto w = store().matrix<double>("generator/weight", 3, 4);
  const auto b = store().vector<double>("generator/bias", 4);
  CHECK((p.weight_t().template cast<double>() - w).cwiseAbs().maxCoeff() <= tol);
  CHECK((p.bias().template cast<double>() - b).cwiseAbs().maxCoeff() <= tol);
  // Applied as y = x·W + b.
  Matrix<TestType> x = Matrix<TestType>::Ones(2, 3);
  const Matrix<double> expected = (Matrix<double>::Ones(2, 3) * w).rowwise() + b.transpose();
  CHECK((p.forward(x).template cast<double>() - expected).cwiseAbs().maxCoeff() <= tol);
  HGTOK_REQUIRE_THROWS_WITH(gen.generate(Vector<TestType>::Zero(9), "movie"), ShapeError,
                            "field 'movie': type embedding width 9, generator expects 10");
  HGTOK_REQUIRE_THROWS_WITH(ParameterGenerator<TestType>::load(store(), "generator.lin_gen", 10, 3, 5), ShapeError,
                            "field 'generator.lin_gen.weight_generator.4.weight': shape is [12, 5], expected [15, 5]");
  HGTOK_REQUIRE_THROWS_WITH(ParameterGenerator<TestType>::load(store(), "generator.nope", 10, 3, 4), LookupError,
                            "generator.nope.weight_generator.0.weight");
  HGTOK_REQUIRE_THROWS_WITH(ParameterGenerator<TestType>(1, 3, 4), ValueError, "embedding width 1");
}

TEST_CASE("GeneratedProjectors caches per (type, embedding), reports memory, clears", "[projector]") {
  const auto src = GeneratedProjectors<double>::load(store(), "generator", 10, 3, 4);
  const auto e = store().vector<double>("generator/embedding", 10);
  const Vector<double> e2 = e * 2;
  CHECK(src.cache_size() == 0);
  const auto a = src.get("movie", &e);
  const auto b = src.get("movie", &e);
  CHECK(a.get() == b.get());  // same object: not regenerated
  CHECK(src.cache().hits() == 1);
  CHECK(src.cache().misses() == 1);
  CHECK(src.cache_bytes() == sizeof(double) * (12 + 4 + 10));
  const auto c = src.get("movie", &e2);  // another embedding under the same key: regenerated
  CHECK(c.get() != a.get());
  CHECK((c->weight_t() - a->weight_t()).cwiseAbs().maxCoeff() > 0);
  src.get("actor", &e);
  CHECK(src.cache_size() == 2);
  CHECK(src.cache_bytes() == 2 * sizeof(double) * (12 + 4 + 10));
  src.clear_cache();
  CHECK(src.cache_size() == 0);
  CHECK(src.cache_bytes() == 0);
  CHECK((a->weight_t() - src.get("movie", &e)->weight_t()).cwiseAbs().maxCoeff() == 0);  // a survives clear()
  HGTOK_REQUIRE_THROWS_WITH(src.get("movie", nullptr), LookupError, "field 'movie': no type embedding");
}

TEST_CASE("GeneratedProjectors<float> keeps cached projectors packed for the GEMM kernel and counts them",
          "[projector]") {
  const auto src = GeneratedProjectors<float>::load(store(), "generator", 10, 3, 4);
  const auto e = store().vector<float>("generator/embedding", 10);
  const auto cached = src.get("movie", &e);
  const auto fresh = src.generator().generate(e);
  const std::size_t plain = sizeof(float) * (12 + 4 + 10);
  if (detail::gemm_uses_kernel<float>()) {
    REQUIRE(cached->packed() != nullptr);
    CHECK(src.cache_bytes() == plain + sizeof(float) * 3 * 16);  // Wᵀ [3, 4] packed to one 16-column panel
  } else {
    CHECK(cached->packed() == nullptr);
    CHECK(src.cache_bytes() == plain);
  }
  const Matrix<float> x = Matrix<float>::Random(5, 3);
  CHECK(cached->forward(x) == fresh.forward(x));
}

TEST_CASE("GeneratedProjectors is safe to use from several threads", "[projector]") {
  const auto src = GeneratedProjectors<double>::load(store(), "generator", 10, 3, 4);
  const auto e = store().vector<double>("generator/embedding", 10);
  const auto reference = src.generator().generate(e);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const auto p = src.get(i % 2 ? "a" : "b", &e);
        ok[static_cast<std::size_t>(t)] += (p->weight_t().array() == reference.weight_t().array()).all();
        if (i == 25 && t == 0) src.clear_cache();
      }
    });
  for (auto& th : threads) th.join();
  for (int v : ok) CHECK(v == 50);
}

TEST_CASE("StaticProjectors: one projector per type, PyG HeteroDictLinear names", "[projector]") {
  WeightStore w;
  const Matrix<double> wa = Matrix<double>::Random(4, 3), wb = Matrix<double>::Random(4, 2);
  const Vector<double> ba = Vector<double>::Random(4), bb = Vector<double>::Random(4);
  w.add<double>("lin.lins.a.weight", wa);
  w.add<double>("lin.lins.a.bias", ba);
  w.add<double>("lin.lins.b.weight", wb);
  w.add<double>("lin.lins.b.bias", bb);
  const auto s = StaticProjectors<double>::load(w, "lin", {{"a", 3}, {"b", 2}}, 4);
  CHECK(s.keys() == std::vector<std::string>{"a", "b"});
  CHECK(s.in_features("b") == 2);
  CHECK(s.out_features() == 4);
  CHECK((s.get("a")->weight_t() - wa.transpose()).cwiseAbs().maxCoeff() == 0);
  HGTOK_REQUIRE_THROWS_WITH(s.get("c"), LookupError, "field 'c': no projector for this type");
  HGTOK_REQUIRE_THROWS_WITH(StaticProjectors<double>::load(w, "lin", {{"a", 4}}, 4), ShapeError,
                            "lin.lins.a.weight");
  auto copy = s;
  HGTOK_REQUIRE_THROWS_WITH(copy.add("c", nn::Linear<double>(3, 5)), ShapeError, "projector width 5, others have 4");
  WeightStore round;
  s.save(round, "lin");
  CHECK(round.size() == 4);
}

}  // namespace test_projectors
