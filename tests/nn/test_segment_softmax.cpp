// Segment softmax + aggregation against torch_geometric.utils.softmax and index_add
// (tests/fixtures/hgt_nn.safetensors): a destination without edges, a large score (segment max subtracted),
// and bitwise equality for 1 and 2 threads.
#include <cmath>
#include <vector>

#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/segment_softmax.hpp"
#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_segment_softmax {

using namespace hgtok;

namespace {
struct Case {
  Index edges = 11, heads = 2, head_dim = 3, nodes = 5;
  Matrix<double> scores, values, alpha, out;
  std::vector<Index> index;
  Case() {
    const auto w = WeightStore::load(hgtok_test::tests_path("fixtures/hgt_nn.safetensors"));
    scores = w.matrix<double>("segment_softmax/scores", edges, heads);
    values = w.matrix<double>("segment_softmax/values", edges, heads * head_dim);
    alpha = w.matrix<double>("segment_softmax/alpha", edges, heads);
    out = w.matrix<double>("segment_softmax/out", nodes, heads * head_dim);
    index = w.view("segment_softmax/index").to_vector<Index>();
  }
  // Edges grouped by destination (stable), as a CSR.
  void csr(std::vector<Index>& indptr, std::vector<Index>& order) const {
    indptr.assign(static_cast<std::size_t>(nodes + 1), 0);
    for (Index e : index) ++indptr[static_cast<std::size_t>(e + 1)];
    for (Index i = 0; i < nodes; ++i) indptr[static_cast<std::size_t>(i + 1)] += indptr[static_cast<std::size_t>(i)];
    order.clear();
    for (Index i = 0; i < nodes; ++i)
      for (Index e = 0; e < edges; ++e)
        if (index[static_cast<std::size_t>(e)] == i) order.push_back(e);
  }
};
}  // namespace

TEST_CASE("segment softmax and aggregation match torch_geometric", "[nn][segment_softmax]") {
  const Case c;
  std::vector<Index> indptr, order;
  c.csr(indptr, order);
  Matrix<double> out(c.nodes, c.heads * c.head_dim);
  Matrix<double> alpha(c.edges, c.heads);
  nn::segment_softmax_aggregate_all<double>(
      c.nodes, c.heads, c.head_dim, [&](Index i) { return indptr[i + 1] - indptr[i]; },
      [&](Index i, double* s) {
        for (Index k = indptr[i]; k < indptr[i + 1]; ++k)
          for (Index h = 0; h < c.heads; ++h) s[(k - indptr[i]) * c.heads + h] = c.scores(order[k], h);
      },
      [&](Index i, Index k) { return c.values.row(order[indptr[i] + k]).data(); }, out.data());
  CHECK((out - c.out).cwiseAbs().maxCoeff() <= 1e-14);
  CHECK(out.row(3).isZero(0));  // destination 3 has no incoming edge

  // The weights alone, one segment at a time.
  for (Index i = 0; i < c.nodes; ++i) {
    const Index n = indptr[i + 1] - indptr[i];
    std::vector<double> s(static_cast<std::size_t>(n * c.heads));
    for (Index k = 0; k < n; ++k)
      for (Index h = 0; h < c.heads; ++h) s[k * c.heads + h] = c.scores(order[indptr[i] + k], h);
    nn::segment_softmax_inplace(s.data(), n, c.heads);
    for (Index k = 0; k < n; ++k)
      for (Index h = 0; h < c.heads; ++h)
        CHECK(std::abs(s[k * c.heads + h] - c.alpha(order[indptr[i] + k], h)) <= 1e-15);
  }
}

TEST_CASE("segment softmax: huge scores stay finite; thread count does not change bits", "[nn][segment_softmax]") {
  hgtok::ThreadScope thread_scope(0);  // restores the thread count this test sets
  std::vector<double> s{1000.0, 999.0, -1000.0, 1e308};
  nn::segment_softmax_inplace(s.data(), 2, 2);
  for (double v : s) CHECK(std::isfinite(v));
  // Many destinations with varied degrees.
  const Index nodes = 1000, heads = 3, dim = 5;
  std::vector<Index> indptr(nodes + 1, 0);
  for (Index i = 0; i < nodes; ++i) indptr[i + 1] = indptr[i] + (i * 7) % 13;
  Matrix<double> values = Matrix<double>::Random(indptr.back(), heads * dim);
  Matrix<double> scores = Matrix<double>::Random(indptr.back(), heads) * 20;
  auto run = [&](int threads) {
    set_num_threads(threads);
    Matrix<double> out(nodes, heads * dim);
    nn::segment_softmax_aggregate_all<double>(
        nodes, heads, dim, [&](Index i) { return indptr[i + 1] - indptr[i]; },
        [&](Index i, double* s2) {
          for (Index k = indptr[i]; k < indptr[i + 1]; ++k)
            for (Index h = 0; h < heads; ++h) s2[(k - indptr[i]) * heads + h] = scores(k, h);
        },
        [&](Index i, Index k) { return values.row(indptr[i] + k).data(); }, out.data());
    return out;
  };
  const auto one = run(1), two = run(2);
  CHECK((one.array() == two.array()).all());
}

}  // namespace test_segment_softmax
