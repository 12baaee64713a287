// detail::gemm: y = x·W against a double-precision Eigen product, over shapes that hit every edge of the float
// kernel (row blocks of 1 to 6, column panels of 1 to 16, depth blocks of 256 and their tails, strided views);
// and the property the kernel exists for: a row's result is bitwise independent of the other rows, of how many
// rows are multiplied together and of the thread count.
#include <cmath>
#include <cstdint>
#include <vector>

#include "hgtok/core/rng.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/nn/gemm.hpp"
#include "hgtok/nn/linear.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_gemm {

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
    ThreadScope one(1);
    detail::gemm<float>(x, w, all);
  }
  {
    ThreadScope two(2);
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

TEST_CASE("gemm from a PackedWeight gives the bytes of gemm from W, at every edge, split and thread count", "[gemm]") {
  Rng rng(15, 0);
  for (Index m : {1, 5, 6, 7, 14, 40})
    for (Index k : {1, 255, 256, 257, 600})
      for (Index n : {1, 16, 17, 129, 300}) {
        const Matrix<float> x = random_matrix(m, k, rng), w = random_matrix(k, n, rng);
        const detail::PackedWeight packed(w);
        REQUIRE(packed.rows() == k);
        REQUIRE(packed.cols() == n);
        REQUIRE(packed.bytes() == sizeof(float) * static_cast<std::size_t>(k * ((n + 15) / 16 * 16)));
        REQUIRE(reinterpret_cast<std::uintptr_t>(packed.data()) % 64 == 0);
        Matrix<float> plain(m, n), from_packed(m, n);
        from_packed.setConstant(std::nanf(""));
        detail::gemm<float>(x, w, plain);
        detail::gemm<float>(x, w, from_packed, &packed);
        INFO("m=" << m << " k=" << k << " n=" << n);
        REQUIRE(from_packed == plain);
      }
  // HiGPT's projector shape, strided x and y, 1 and 2 threads (tasks split the packed panels by groups).
  const Matrix<float> w = random_matrix(768, 2304, rng), big_x = random_matrix(60, 800, rng);
  const detail::PackedWeight packed(w);
  auto x = big_x.block(3, 7, 40, 768);
  Matrix<float> expected(40, 2304);
  detail::gemm<float>(x, w, expected);
  for (int threads : {1, 2}) {
    ThreadScope count(threads);
    Matrix<float> big_y = Matrix<float>::Constant(50, 2400, 7.0f);
    detail::gemm<float>(x, w, big_y.block(2, 5, 40, 2304), &packed);
    INFO(threads << " threads");
    REQUIRE(big_y.block(2, 5, 40, 2304) == expected);
    big_y.block(2, 5, 40, 2304).setConstant(7.0f);
    REQUIRE((big_y.array() == 7.0f).all());
  }
  // A packed copy of another shape is not used (the product still follows W).
  const detail::PackedWeight other(random_matrix(768, 2288, rng));
  Matrix<float> y(40, 2304);
  detail::gemm<float>(x, w, y, &other);
  REQUIRE(y == expected);
}

TEST_CASE("gemm streams a wide W for a few rows with the bytes of the packed path, at every edge and thread count",
          "[gemm]") {
  if (!detail::gemm_uses_kernel<float>()) {
    WARN("skipped: the kernel is not used on this CPU");
    return;
  }
  Rng rng(16, 0);
  // n: the streaming threshold, and a tail that is neither whole 512-column blocks nor whole vectors.
  for (Index k : {1, 256, 257, 600})
    for (Index n : {detail::kGemmStreamMinCols, detail::kGemmStreamMinCols + 517}) {
      const Matrix<float> x = random_matrix(8, k, rng), w = random_matrix(k, n, rng);
      const detail::PackedWeight packed(w);
      Matrix<float> among_many(8, n);  // 8 rows: the packed path
      detail::gemm<float>(x, w, among_many);
      for (Index m = 1; m <= 6; ++m)
        for (int threads : {1, 2}) {
          ThreadScope count(threads);
          Matrix<float> streamed = Matrix<float>::Constant(m + 2, n + 3, 7.0f), from_packed(m, n);
          detail::gemm<float>(x.topRows(m), w, streamed.block(1, 2, m, n));
          detail::gemm<float>(x.topRows(m), w, from_packed, &packed);
          INFO("m=" << m << " k=" << k << " n=" << n << " threads=" << threads);
          REQUIRE(streamed.block(1, 2, m, n) == from_packed);
          REQUIRE(from_packed == among_many.topRows(m));
          streamed.block(1, 2, m, n).setConstant(7.0f);
          REQUIRE((streamed.array() == 7.0f).all());  // nothing written outside y's block
        }
    }
}

TEST_CASE("Linear::pack keeps the results and is dropped when the weight is changed", "[gemm]") {
  Rng rng(16, 0);
  auto lin = nn::Linear<float>::from_torch(random_matrix(70, 300, rng), Vector<float>::Constant(70, 0.5f));
  const Matrix<float> x = random_matrix(9, 300, rng);
  const Matrix<float> before = lin.forward(x);
  REQUIRE(lin.packed() == nullptr);
  lin.pack();
  if (detail::gemm_uses_kernel<float>()) {
    REQUIRE(lin.packed() != nullptr);
    REQUIRE(lin.packed()->bytes() == sizeof(float) * 300 * 80);
  } else {
    REQUIRE(lin.packed() == nullptr);
  }
  REQUIRE(lin.forward(x) == before);
  const nn::Linear<float> copy = lin;  // a copy shares the packed weight
  REQUIRE(copy.packed() == lin.packed());
  lin.weight_t()(0, 0) += 1.0f;  // the mutable accessor drops the now stale copy
  REQUIRE(lin.packed() == nullptr);
  REQUIRE(lin.forward(x)(0, 0) != before(0, 0));
  REQUIRE(copy.forward(x) == before);
  auto dbl = nn::Linear<double>(4, 3);
  dbl.pack();
  REQUIRE(dbl.packed() == nullptr);
}

TEST_CASE("gemm's AVX2 and AVX-512 paths give the same bytes, at every edge, split and thread count", "[gemm][isa]") {
  if (!detail::gemm_isa_supported(detail::GemmIsa::avx512)) {
    WARN("SKIPPED: this CPU has no AVX-512F (best path: " << detail::to_string(detail::gemm_best_isa())
                                                          << "), so the AVX2 and AVX-512 paths cannot be compared "
                                                             "here; run this test on a host with both");
    return;
  }
  Rng rng(17, 0);
  // Row blocks of 1 to 12 and their tails, one and two panels (1 to 32 columns), depth blocks and their tails.
  for (Index m : {1, 2, 5, 6, 7, 11, 12, 13, 25, 131})
    for (Index k : {1, 3, 255, 256, 257, 600})
      for (Index n : {1, 7, 16, 17, 31, 32, 33, 129, 144, 300}) {
        const Matrix<float> x = random_matrix(m, k, rng), w = random_matrix(k, n, rng);
        const detail::PackedWeight packed(w);
        Matrix<float> avx2(m, n), avx512(m, n), avx512_packed(m, n);
        avx512.setConstant(std::nanf(""));
        avx512_packed.setConstant(std::nanf(""));
        {
          detail::GemmIsaScope isa(detail::GemmIsa::avx2);
          detail::gemm<float>(x, w, avx2);
        }
        {
          detail::GemmIsaScope isa(detail::GemmIsa::avx512);
          detail::gemm<float>(x, w, avx512);
          detail::gemm<float>(x, w, avx512_packed, &packed);
        }
        INFO("m=" << m << " k=" << k << " n=" << n);
        REQUIRE(avx512 == avx2);
        REQUIRE(avx512_packed == avx2);
      }
  // HiGPT's projector shape, strided, at 1 and 2 threads; nothing outside y's block is written.
  const Matrix<float> w = random_matrix(768, 2304, rng), big_x = random_matrix(60, 800, rng);
  auto x = big_x.block(3, 7, 40, 768);
  Matrix<float> expected(40, 2304);
  {
    detail::GemmIsaScope isa(detail::GemmIsa::avx2);
    detail::gemm<float>(x, w, expected);
  }
  detail::GemmIsaScope isa(detail::GemmIsa::avx512);
  for (int threads : {1, 2}) {
    ThreadScope count(threads);
    Matrix<float> big_y = Matrix<float>::Constant(50, 2400, 7.0f);
    detail::gemm<float>(x, w, big_y.block(2, 5, 40, 2304));
    INFO(threads << " threads");
    REQUIRE(big_y.block(2, 5, 40, 2304) == expected);
    big_y.block(2, 5, 40, 2304).setConstant(7.0f);
    REQUIRE((big_y.array() == 7.0f).all());
  }
}

TEST_CASE("gemm's path can be chosen, is checked against the CPU and is restored by its scope", "[gemm][isa]") {
  const detail::GemmIsa before = detail::gemm_isa();
  REQUIRE(detail::gemm_isa_supported(detail::GemmIsa::eigen));
  REQUIRE(detail::gemm_isa_supported(detail::gemm_best_isa()));
  {
    detail::GemmIsaScope isa(detail::GemmIsa::eigen);
    REQUIRE(detail::gemm_isa() == detail::GemmIsa::eigen);
    REQUIRE_FALSE(detail::gemm_uses_kernel<float>());
    Rng rng(18, 0);
    const Matrix<float> x = random_matrix(9, 300, rng), w = random_matrix(300, 40, rng);
    Matrix<float> y(9, 40);
    detail::gemm<float>(x, w, y);
    REQUIRE(relative_error(x, w, y) < 1e-5);
  }
  REQUIRE(detail::gemm_isa() == before);
  if (!detail::gemm_isa_supported(detail::GemmIsa::avx512))
    HGTOK_REQUIRE_THROWS_WITH(detail::set_gemm_isa(detail::GemmIsa::avx512), ValueError, "'avx512' is not supported");
  REQUIRE_THROWS_AS(detail::parse_gemm_isa("avx1024", "environment", "HGTOK_GEMM_ISA"), ValueError);
  HGTOK_REQUIRE_THROWS_WITH(detail::parse_gemm_isa("sse", "environment", "HGTOK_GEMM_ISA"), ValueError,
                            "field 'HGTOK_GEMM_ISA': 'sse' is not one of eigen, avx2, avx512");
  REQUIRE(detail::gemm_isa() == before);
}

}  // namespace test_gemm
