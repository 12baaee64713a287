// nn::LSTM against torch.nn.LSTM (fixture hetgnn_lstm.safetensors from tests/reference/make_hetgnn_fixtures.py):
// bidirectional and one-way outputs, the mean over outputs, the precomputed-gates path, weight names and bad shapes.
#include <cmath>
#include <string>
#include <vector>

#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/lstm.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_lstm {

using namespace hgtok;
using hgtok_test::tests_path;

namespace {

const std::string kFixture = tests_path("fixtures/hetgnn_lstm.safetensors");

template <class T>
double max_diff(const Matrix<T>& got, const WeightStore& w, const std::string& name) {
  const auto& v = w.view(name);
  const auto expected = v.template to_vector<double>(true);
  REQUIRE(static_cast<std::size_t>(got.size()) == expected.size());
  double err = 0;
  for (Index i = 0; i < got.size(); ++i)
    err = std::max(err, std::abs(static_cast<double>(got.data()[i]) - expected[static_cast<std::size_t>(i)]));
  return err;
}

template <class T>
void check_case(const std::string& name, bool bidirectional, double tol) {
  const auto w = WeightStore::load(kFixture);
  const auto lstm = nn::LSTM<T>::load(w, name + ".", 5, 3, bidirectional);
  REQUIRE(lstm.output_size() == (bidirectional ? 6 : 3));
  const Matrix<T> x = w.matrix<T>(name + "/x", 7, 5);
  CHECK(max_diff<T>(lstm.forward(x), w, name + "/y") <= tol);
  const Vector<T> mean = lstm.forward_mean(x);
  CHECK(max_diff<T>(Matrix<T>(mean.transpose()), w, name + "/mean") <= tol);
  // The gates path with rows picked out of order: reverse the input rows, then read them back reversed.
  const Matrix<T> reversed = x.colwise().reverse();
  const Matrix<T> gates = lstm.input_gates(reversed);
  std::vector<T> out(static_cast<std::size_t>(lstm.output_size())), work(static_cast<std::size_t>(lstm.workspace_size()));
  lstm.mean_from_gates(7, [&](Index t) { return gates.data() + (6 - t) * gates.cols(); }, out.data(), work.data());
  CHECK(max_diff<T>(Matrix<T>(ConstMatrixMap<T>(out.data(), 1, lstm.output_size())), w, name + "/mean") <= tol);
}

}  // namespace

TEST_CASE("LSTM matches torch.nn.LSTM (bidirectional, one-way) in double and float", "[nn][lstm]") {
  check_case<double>("bi", true, 1e-12);
  check_case<double>("uni", false, 1e-12);
  check_case<float>("bi", true, 1e-5);
  check_case<float>("uni", false, 1e-5);
}

TEST_CASE("LSTM: an empty sequence gives a zero mean; save/load round trip keeps every weight", "[nn][lstm]") {
  const auto w = WeightStore::load(kFixture);
  const auto lstm = nn::LSTM<double>::load(w, "bi.", 5, 3);
  CHECK(lstm.forward_mean(Matrix<double>(0, 5)).isZero());
  WeightStore saved;
  lstm.save(saved, "rnn.");
  for (const std::string n : {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                              "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"}) {
    INFO(n);
    CHECK(saved.view("rnn." + n).to_vector<double>(true) == w.view("bi." + n).to_vector<double>(true));
  }
  const Matrix<double> x = w.matrix<double>("bi/x", 7, 5);
  const auto again = nn::LSTM<double>::load(saved, "rnn.", 5, 3);
  CHECK((again.forward(x).array() == lstm.forward(x).array()).all());
}

TEST_CASE("LSTM: bad weights and inputs name the tensor and the shapes", "[nn][lstm][errors]") {
  const auto w = WeightStore::load(kFixture);
  // Loading with the wrong sizes: the tensor and both shapes are named.
  HGTOK_REQUIRE_THROWS_WITH(nn::LSTM<double>::load(w, "bi.", 4, 3), ShapeError, "bi.weight_ih_l0");
  HGTOK_REQUIRE_THROWS_WITH(nn::LSTM<double>::load(w, "bi.", 4, 3), ShapeError, "shape is [12, 5], expected [12, 4]");
  HGTOK_REQUIRE_THROWS_WITH(nn::LSTM<double>::load(w, "bi.", 5, 2), ShapeError, "expected [8, 5]");
  // A one-way state_dict has no _reverse weights.
  HGTOK_REQUIRE_THROWS_WITH(nn::LSTM<double>::load(w, "uni.", 5, 3, true), LookupError, "uni.weight_ih_l0_reverse");
  nn::LSTM<double> l(5, 3);
  HGTOK_REQUIRE_THROWS_WITH(l.set_direction(0, Matrix<double>::Zero(12, 5), Matrix<double>::Zero(12, 4),
                                            Vector<double>::Zero(12), Vector<double>::Zero(12)),
                            ShapeError, "weight_hh_l0': shape is [12, 4], expected [12, 3]");
  HGTOK_REQUIRE_THROWS_WITH(l.set_direction(1, Matrix<double>::Zero(12, 5), Matrix<double>::Zero(12, 3),
                                            Vector<double>::Zero(11), Vector<double>::Zero(12)),
                            ShapeError, "bias_ih_l0_reverse': shape is [11], expected [12]");
  HGTOK_REQUIRE_THROWS_WITH(l.set_direction(2, Matrix<double>::Zero(12, 5), Matrix<double>::Zero(12, 3),
                                            Vector<double>::Zero(12), Vector<double>::Zero(12)),
                            ValueError, "direction");
  HGTOK_REQUIRE_THROWS_WITH(l.forward(Matrix<double>::Zero(2, 4)), ShapeError, "width 4, expected input_size 5");
  HGTOK_REQUIRE_THROWS_WITH(nn::LSTM<double>(0, 3), ValueError, "input_size 0");
}

}  // namespace test_lstm
