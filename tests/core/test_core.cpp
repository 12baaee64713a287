// core: errors, Rng determinism, parallel_for (exceptions, coverage, thread-count independence), dtype names,
// type keys and the TypeEmbeddings lookup.
#include <algorithm>
#include <hgtok/core/error.hpp>
#include <hgtok/core/rng.hpp>
#include <hgtok/core/threading.hpp>
#include <hgtok/core/type_embeddings.hpp>
#include <hgtok/core/types.hpp>
#include <map>
#include <hgtok/io/dtype.hpp>
#include <set>
#include <string>
#include <vector>

#include "test_util.hpp"

// Each test file is its own namespace: the files of a label compile as one translation unit.
namespace test_core {

TEST_CASE("Error: message names kind, source, field and reason; classes stay catchable as Error", "[core][error]") {
  const hgtok::FormatError e("graph.safetensors", "x/movie.data_offsets", "end 912 is past the data section (800 bytes)");
  CHECK(std::string(e.what()) ==
        "hgtok::FormatError: graph.safetensors: field 'x/movie.data_offsets': end 912 is past the data section (800 bytes)");
  CHECK(e.source() == "graph.safetensors");
  CHECK(e.field() == "x/movie.data_offsets");
  CHECK(e.reason() == "end 912 is past the data section (800 bytes)");
  CHECK(std::string(hgtok::LookupError("", "", "gone").what()) == "hgtok::LookupError: gone");
  REQUIRE_THROWS_AS(throw hgtok::ShapeError("a", "b", "c"), hgtok::Error);
  REQUIRE_THROWS_AS(throw hgtok::IOError("a", "b", "c"), std::runtime_error);
}

TEST_CASE("Error: with_source rethrows the same class naming the file", "[core][error]") {
  auto throws = [](auto error) { return [error] { throw error; return 0; }; };
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::with_source("g.safetensors", throws(hgtok::ValueError("HeteroGraph", "x/movie", "NaN"))),
                            hgtok::ValueError, "hgtok::ValueError: g.safetensors: field 'x/movie': NaN");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::with_source("f", throws(hgtok::LookupError("s", "k", "r"))), hgtok::LookupError, "f: field 'k': r");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::with_source("f", throws(hgtok::ShapeError("s", "k", "r"))), hgtok::ShapeError, "f: field 'k'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::with_source("f", throws(hgtok::FormatError("s", "k", "r"))), hgtok::FormatError, "f: field 'k'");
  CHECK(hgtok::detail::with_source("f", [] { return 42; }) == 42);
}

TEST_CASE("checked_mul refuses overflow", "[core][error]") {
  CHECK(hgtok::detail::checked_mul(1ULL << 31, 1ULL << 31, "s", "f") == (1ULL << 62));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::checked_mul(1ULL << 32, 1ULL << 32, "s", "shape"), hgtok::ShapeError,
                            "field 'shape': size 4294967296 x 4294967296 overflows");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::checked_mul(3, 4, "s", "f", 11), hgtok::ShapeError, "overflows");
  CHECK(hgtok::detail::checked_mul(0, ~0ULL, "s", "f") == 0);
}

TEST_CASE("Rng: the same (seed, stream) gives the same numbers; other streams and seeds differ", "[core][rng]") {
  auto draw = [](std::uint64_t seed, std::uint64_t stream) {
    hgtok::Rng r(seed, stream);
    std::vector<std::uint64_t> v;
    for (int i = 0; i < 64; ++i) v.push_back(r.next());
    return v;
  };
  CHECK(draw(7, 0) == draw(7, 0));
  CHECK(draw(7, 3) == draw(7, 3));
  CHECK(draw(7, 0) != draw(7, 1));
  CHECK(draw(7, 0) != draw(8, 0));
  // no repeats within a stream, and streams do not overlap in their first draws
  const auto a = draw(1, 0), b = draw(1, 1);
  std::set<std::uint64_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  CHECK(all.size() == a.size() + b.size());
  // a copy continues identically
  hgtok::Rng r(5, 9);
  r.next();
  hgtok::Rng s = r;
  CHECK(r.next() == s.next());
}

TEST_CASE("Rng: uniform_int stays in range and covers it; uniform is in [0, 1)", "[core][rng]") {
  hgtok::Rng r(123, 4);
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const auto k = r.uniform_int(7);
    REQUIRE(k < 7);
    ++hist[k];
  }
  for (int h : hist) CHECK(h > 800);  // expected 1000 each; 800 is > 6 standard deviations below
  for (int i = 0; i < 100; ++i) CHECK(r.uniform_int(1) == 0);
  const std::uint64_t big = (1ULL << 63) + 12345;
  for (int i = 0; i < 100; ++i) CHECK(r.uniform_int(big) < big);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(sum / 10000 == Approx(0.5).margin(0.02));
}

TEST_CASE("parallel_for: every index exactly once, any thread count", "[core][threading]") {
  for (int threads : {1, 2, 4}) {
    hgtok::ThreadScope scope(threads);
    std::vector<int> hits(1000, 0);
    hgtok::detail::parallel_for(1000, [&](std::int64_t i) { hits[static_cast<std::size_t>(i)] += 1; });
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    // per-index results do not depend on the thread count
    std::vector<std::uint64_t> out(257);
    hgtok::detail::parallel_for(257, [&](std::int64_t i) { out[static_cast<std::size_t>(i)] = hgtok::Rng(42, static_cast<std::uint64_t>(i)).next(); });
    std::vector<std::uint64_t> serial(257);
    for (std::size_t i = 0; i < serial.size(); ++i) serial[i] = hgtok::Rng(42, i).next();
    CHECK(out == serial);
  }
  hgtok::detail::parallel_for(0, [](std::int64_t) { FAIL("called for n = 0"); });
}

TEST_CASE("parallel_for: an exception thrown by the body is rethrown to the caller", "[core][threading]") {
  for (int threads : {1, 4}) {
    hgtok::ThreadScope scope(threads);
    INFO("threads " << threads);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::parallel_for(100,
                                                          [](std::int64_t i) {
                                                            if (i == 37) throw hgtok::ValueError("body", "i", "bad index 37");
                                                          }),
                              hgtok::ValueError, "bad index 37");
    // several failing indices: one of them comes out, still as its own class
    REQUIRE_THROWS_AS(hgtok::detail::parallel_for(100, [](std::int64_t i) {
                        if (i % 10 == 3) throw hgtok::LookupError("body", "i", std::to_string(i));
                      }),
                      hgtok::LookupError);
    // a serial run (n below min_parallel) rethrows too
    REQUIRE_THROWS_AS(hgtok::detail::parallel_for(1, [](std::int64_t) { throw std::runtime_error("x"); }), std::runtime_error);
  }
}

TEST_CASE("threads: set_num_threads(0) restores the default; ThreadScope sets and restores", "[core][threading]") {
  const int start = hgtok::num_threads();
  REQUIRE(start == hgtok::default_num_threads());  // no test leaves its count behind
#ifdef HGTOK_WITH_OPENMP
  hgtok::set_num_threads(3);
  REQUIRE(hgtok::num_threads() == 3);
  hgtok::set_num_threads(0);
  REQUIRE(hgtok::num_threads() == hgtok::default_num_threads());
  hgtok::set_num_threads(-2);
  REQUIRE(hgtok::num_threads() == hgtok::default_num_threads());
  {
    hgtok::ThreadScope outer(5);
    REQUIRE(hgtok::num_threads() == 5);
    {
      hgtok::ThreadScope inner(1);
      REQUIRE(hgtok::num_threads() == 1);
    }
    REQUIRE(hgtok::num_threads() == 5);
    hgtok::ThreadScope back(0);
    REQUIRE(hgtok::num_threads() == hgtok::default_num_threads());
  }
#else
  hgtok::ThreadScope scope(4);
  REQUIRE(hgtok::num_threads() == 1);  // without OpenMP hgtok runs on the caller's thread
#endif
  REQUIRE(hgtok::num_threads() == start);
}

TEST_CASE("dtype names parse and print", "[core][dtype]") {
  for (auto d : {hgtok::Dtype::F64, hgtok::Dtype::F32, hgtok::Dtype::F16, hgtok::Dtype::BF16, hgtok::Dtype::I64, hgtok::Dtype::I32,
                 hgtok::Dtype::U8, hgtok::Dtype::BOOL})
    CHECK(hgtok::parse_dtype(hgtok::dtype_name(d), "s", "f") == d);
  CHECK(hgtok::dtype_size(hgtok::Dtype::BF16) == 2);
  CHECK(hgtok::dtype_size(hgtok::Dtype::I64) == 8);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_dtype("f32", "file", "w.dtype"), hgtok::FormatError, "field 'w.dtype': unsupported dtype 'f32'");
}

TEST_CASE("type keys: type_key and parse_type_key are inverse; bad keys name the source and the key", "[core][types]") {
  const hgtok::EdgeType e{"movie", "to", "director"};
  CHECK(hgtok::type_key("movie") == "node/movie");
  CHECK(hgtok::type_key(e) == "edge/movie__to__director");
  const auto n = hgtok::parse_type_key("node/movie", "t");
  CHECK_FALSE(n.is_edge);
  CHECK(n.node == "movie");
  const auto k = hgtok::parse_type_key(hgtok::type_key(e), "t");
  CHECK(k.is_edge);
  CHECK(k.edge == e);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_type_key("node/", "t.safetensors"), hgtok::FormatError, "t.safetensors: field 'node/'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_type_key("node/a__b", "t"), hgtok::FormatError, "'node/<type>'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_type_key("edge/a__b", "t"), hgtok::FormatError, "src__relation__dst");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::parse_type_key("movie", "t"), hgtok::FormatError, "'node/' or 'edge/'");
}

namespace {
/// The smallest TypeEmbeddings: a map, to show the interface is all a kernel needs.
class MapEmbeddings : public hgtok::TypeEmbeddings<float> {
 public:
  std::map<std::string, hgtok::Vector<float>> entries;
  std::string name = "map";
  const hgtok::Vector<float>* find(const std::string& key) const override {
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
  }
  hgtok::Index dim() const override { return entries.empty() ? 0 : entries.begin()->second.size(); }
  std::size_t size() const override { return entries.size(); }
  const std::string& source() const override { return name; }
};
}  // namespace

TEST_CASE("TypeEmbeddings: one lookup for node and edge types, errors naming the key and the width", "[core][types]") {
  MapEmbeddings m;
  m.entries["node/movie"] = hgtok::Vector<float>::Constant(3, 1.f);
  m.entries["edge/movie__to__director"] = hgtok::Vector<float>::Constant(3, 2.f);
  CHECK(hgtok::detail::type_embedding(m, std::string("movie"))[0] == 1.f);
  CHECK(hgtok::detail::type_embedding(m, hgtok::EdgeType{"movie", "to", "director"})[0] == 2.f);
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::type_embedding(m, std::string("actor")), hgtok::LookupError,
                            "map: field 'node/actor': no type embedding for node type 'actor'");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::type_embedding(m, hgtok::EdgeType{"a", "r", "b"}), hgtok::LookupError,
                            "field 'edge/a__r__b': no type embedding for edge type 'a__r__b'");
  hgtok::detail::check_embedding_width(m, 3, "layer");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::detail::check_embedding_width(m, 4, "layer"), hgtok::ShapeError,
                            "type-embedding width 3, the layer expects 4");
}

}  // namespace test_core
