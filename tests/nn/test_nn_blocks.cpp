// nn::Linear, nn::LayerNorm, activations against torch (tests/fixtures/hgt_nn.safetensors, written by
// tests/reference/make_hgt_fixtures.py), in double and float; bad widths.
#include <cmath>

#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/layer_norm.hpp"
#include "hgtok/nn/linear.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_nn_blocks {

using namespace hgtok;

namespace {
const WeightStore& store() {
  static const WeightStore w = WeightStore::load(hgtok_test::tests_path("fixtures/hgt_nn.safetensors"));
  return w;
}
template <class T>
Matrix<T> mat(const std::string& name) {
  const auto s = store().shape(name);
  return store().matrix<T>(name, s[0], s.size() > 1 ? s[1] : 1);
}
template <class A, class B>
double max_diff(const A& a, const B& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff();
}
}  // namespace

TEMPLATE_TEST_CASE("Linear matches torch.nn.Linear", "[nn]", double, float) {
  const double tol = std::is_same<TestType, double>::value ? 1e-12 : 1e-5;
  const auto lin = nn::Linear<TestType>::load(store(), "linear", 5, 3);
  CHECK(lin.in_features() == 5);
  CHECK(lin.out_features() == 3);
  CHECK(max_diff(lin.forward(mat<TestType>("linear/x")), mat<double>("linear/y")) <= tol);
  const auto no_bias = nn::Linear<TestType>::load(store(), "linear", 5, 3, false);
  const Matrix<TestType> diff = lin.forward(mat<TestType>("linear/x")) - no_bias.forward(mat<TestType>("linear/x"));
  CHECK(max_diff(diff.row(0), store().vector<TestType>("linear.bias", 3).transpose()) <= tol);
  HGTOK_REQUIRE_THROWS_WITH(lin.forward(Matrix<TestType>::Zero(2, 4)), ShapeError, "width 4, expected 5");
  HGTOK_REQUIRE_THROWS_WITH(nn::Linear<TestType>::load(store(), "linear", 4, 3), ShapeError,
                            "shape is [3, 5], expected [3, 4]");
  HGTOK_REQUIRE_THROWS_WITH(nn::Linear<TestType>::load(store(), "nope", 5, 3), LookupError, "nope.weight");
}

TEMPLATE_TEST_CASE("LayerNorm matches torch.nn.LayerNorm", "[nn]", double, float) {
  const double tol = std::is_same<TestType, double>::value ? 1e-12 : 1e-5;
  const auto ln = nn::LayerNorm<TestType>::load(store(), "layer_norm", 5, 1e-6);
  Matrix<TestType> x = mat<TestType>("layer_norm/x");
  ln.apply_inplace(x);
  CHECK(max_diff(x, mat<double>("layer_norm/y")) <= tol);
  Matrix<TestType> bad = Matrix<TestType>::Zero(1, 4);
  HGTOK_REQUIRE_THROWS_WITH(ln.apply_inplace(bad), ShapeError, "width 4, expected 5");
}

TEMPLATE_TEST_CASE("Activations match torch (gelu erf form, relu, sigmoid)", "[nn]", double, float) {
  const double tol = std::is_same<TestType, double>::value ? 1e-14 : 1e-6;
  const auto x = store().vector<TestType>("activations/x", 97);
  Vector<TestType> g = x, r = x, s = x;
  nn::gelu_inplace(g);
  nn::relu_inplace(r);
  nn::sigmoid_inplace(s);
  CHECK(max_diff(g, store().vector<double>("gelu/y", 97)) <= tol);
  CHECK(max_diff(r, store().vector<double>("relu/y", 97)) <= tol);
  CHECK(max_diff(s, store().vector<double>("sigmoid/y", 97)) <= tol);
}

}  // namespace test_nn_blocks
