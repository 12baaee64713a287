// detail::gemm: y = x·W against a double-precision Eigen product, over shapes that hit every edge of the float
// kernel (row blocks of 1 to 6, column panels of 1 to 16, depth blocks of 256 and their tails, strided views);
// and the property the kernel exists for: a row's result is bitwise independent of the other rows, of how many
// rows are multiplied together and of the thread count.
#include <cmath>
#include <vector>

#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/nn/gemm.hpp"
#include "hgtok/nn/linear.hpp"
#include "test_util.hpp"

using namespace hgtok;

namespace {

Matrix<float> random_matrix(Index rows, Index cols, Rng& rng) {
  Matrix<float> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return m;
}

/// Largest |got - x·W| relative to Σ_k |x_ik·W_kj| (the scale of float rounding in a dot product).
double relative_error(const Matrix<float>& x, const Matrix<float>& w, const Matrix<float>& got) {
  const Eigen::MatrixXd xd = x.cast<double>(), wd = w.cast<double>();
  const Eigen::MatrixXd exact = xd * wd, scale = xd.cwiseAbs() * wd.cwiseAbs();
  double err = 0;
  for (Index i = 0; i < got.rows(); ++i)
    for (Index j = 0; j < got.cols(); ++j)
      err = std::max(err, std::abs(got(i, j) - exact(i, j)) / std::max(scale(i, j), 1e-30));
  return err;
}

struct ThreadCount {
  int saved = num_threads();
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
};

}  // namespace

TEST_CASE("gemm matches a double product at every edge of the kernel", "[gemm]") {
  if (!detail::gemm_uses_kernel<float>())
    WARN("this CPU lacks AVX2/FMA (or the build disabled the kernel): gemm<float> runs Eigen's product");
  Rng rng(11, 0);
  for (Index m : {1, 2, 5, 6, 7, 13, 14, 40, 131})
    for (Index k : {1, 3, 255, 256, 257, 600})
      for (Index n : {1, 7, 16, 17, 33, 129, 300}) {
        const Matrix<float> x = random_matrix(m, k, rng), w = random_matrix(k, n, rng);
        Matrix<float> y(m, n);
        y.setConstant(std::nanf(""));  // every element must be written
        detail::gemm<float>(x, w, y);
        INFO("m=" << m << " k=" << k << " n=" << n);
        REQUIRE(y.allFinite());
        REQUIRE(relative_error(x, w, y) < 1e-5);
      }
}

TEST_CASE("gemm writes only its block of a strided output, from strided inputs", "[gemm]") {
  Rng rng(12, 0);
  const Matrix<float> big_x = random_matrix(50, 700, rng), big_w = random_matrix(600, 90, rng);
  Matrix<float> big_y = Matrix<float>::Constant(60, 100, 7.0f);
  auto x = big_x.block(3, 5, 41, 513);
  auto w = big_w.block(11, 2, 513, 37);
  detail::gemm<float>(x, w, big_y.block(4, 9, 41, 37));
  REQUIRE(relative_error(x, w, big_y.block(4, 9, 41, 37)) < 1e-5);
  Matrix<float> outside = big_y;
  outside.block(4, 9, 41, 37).setConstant(7.0f);
  REQUIRE((outside.array() == 7.0f).all());
}

TEST_CASE("gemm with zero depth gives zeros; empty shapes do nothing", "[gemm]") {
  Matrix<float> x(5, 0), w(0, 20), y = Matrix<float>::Constant(5, 20, 3.0f);
  detail::gemm<float>(x, w, y);
  REQUIRE((y.array() == 0.0f).all());
  Matrix<float> e(0, 8), we(8, 4), ye(0, 4);
  detail::gemm<float>(e, we, ye);
  SUCCEED();
}

TEST_CASE("gemm rows are independent of the other rows, the row count and the thread count", "[gemm]") {
  if (!detail::gemm_uses_kernel<float>()) {
    WARN("skipped: the kernel is not used on this CPU, and Eigen's product makes no such promise");
    return;
  }
  Rng rng(13, 0);
  const Index k = 768, n = 2304;
  const Matrix<float> x = random_matrix(200, k, rng), w = random_matrix(k, n, rng);
  Matrix<float> all(200, n);
  {
    ThreadCount one(1);
    detail::gemm<float>(x, w, all);
  }
  {
    ThreadCount two(2);
    Matrix<float> again(200, n);
    detail::gemm<float>(x, w, again);
    REQUIRE(again == all);
  }
  // Row r alone, and rows [a, b) for sizes that land r in every position of a 6-row block.
  for (Index r : {0, 5, 77, 199}) {
    Matrix<float> one_row(1, n);
    detail::gemm<float>(x.middleRows(r, 1), w, one_row);
    REQUIRE(one_row == all.middleRows(r, 1));
  }
  for (Index a : {1, 2, 3, 4, 5, 6, 13})
    for (Index len : {1, 7, 14, 100}) {
      if (a + len > 200) continue;
      Matrix<float> part(len, n);
      detail::gemm<float>(x.middleRows(a, len), w, part);
      INFO("rows " << a << " + " << len);
      REQUIRE(part == all.middleRows(a, len));
    }
  // A column block of W gives the same columns.
  Matrix<float> cols(200, 100);
  detail::gemm<float>(x, w.middleCols(1003, 100), cols);
  REQUIRE(cols == all.middleCols(1003, 100));
}

TEST_CASE("Linear::forward uses gemm and adds the bias", "[gemm]") {
  Rng rng(14, 0);
  const Matrix<float> wt = random_matrix(300, 70, rng);
  Vector<float> bias(70);
  for (Index i = 0; i < 70; ++i) bias(i) = static_cast<float>(i) * 0.25f;
  const auto lin = nn::Linear<float>::from_torch(wt.transpose(), bias);
  const Matrix<float> x = random_matrix(9, 300, rng);
  const Matrix<float> y = lin.forward(x);
  Matrix<float> product(9, 70);
  detail::gemm<float>(x, wt, product);
  REQUIRE(y == (product.rowwise() + bias.transpose()));
}
