// Compiled graph files (graph/compile.hpp, graph/compiled_graph.hpp): the mapped graph reads the same neighbours,
// features and samples as the loaded one while copying nothing, and a truncated, stale or hand-edited CSR section is
// reported as a FormatError naming the file, tensor and value, never followed out of bounds.
#include <filesystem>
#include <functional>
#include <hgtok/graph/compile.hpp>
#include <hgtok/graph/compiled_graph.hpp>
#include <hgtok/graph/random_walk.hpp>
#include <hgtok/graph/sampler.hpp>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace test_compiled_graph {

using hgtok::Index;
using hgtok_test::TempDir;

std::string sample_graph() { return std::string(HGTOK_SOURCE_DIR) + "/examples/data/imdb_sample.safetensors"; }

/// A graph of two node types with one edge type b -> a (`a_nodes` destinations, each with `degree` in-edges), float
/// features of width 3, written to `path`.
void write_ring(const std::string& path, Index a_nodes, Index degree, hgtok::Dtype ids = hgtok::Dtype::I64) {
  hgtok::HeteroGraph<float> g;
  hgtok::Matrix<float> xa(a_nodes, 3), xb(7, 3);
  for (Index i = 0; i < xa.size(); ++i) xa.data()[i] = static_cast<float>(i % 17) * 0.25f;
  for (Index i = 0; i < xb.size(); ++i) xb.data()[i] = static_cast<float>(i) * 0.5f;
  g.add_node_type("a", xa);
  g.add_node_type("b", xb);
  std::vector<Index> src, dst;
  for (Index v = 0; v < a_nodes; ++v)
    for (Index k = 0; k < degree; ++k) {
      src.push_back((v * 3 + k) % 7);
      dst.push_back((v * 5 + k) % a_nodes);  // scattered: rows are not in COO order
    }
  g.add_edge_type({"b", "to", "a"}, src.data(), dst.data(), static_cast<Index>(src.size()));
  if (ids == hgtok::Dtype::I64) {
    hgtok::save_graph(g, path);
    return;
  }
  hgtok::SafetensorsWriter w;  // the same graph with int32 edge_index
  w.add("x/a", g.x(0));
  w.add("x/b", g.x(1));
  std::vector<std::int32_t> ei;
  for (Index v : g.edge_src(0)) ei.push_back(static_cast<std::int32_t>(v));
  for (Index v : g.edge_dst(0)) ei.push_back(static_cast<std::int32_t>(v));
  w.add("edge_index/b__to__a", hgtok::Shape{2, g.num_edges(0)}, ei.data());
  w.set_metadata("node_types", "[\"a\", \"b\"]");
  w.save(path);
}

/// Rewrites the safetensors file `in` as `out`, letting `edit` change any tensor's bytes (by name) and the metadata.
void rewrite(const std::string& in, const std::string& out,
             const std::function<void(const std::string&, std::vector<unsigned char>&)>& edit_tensor,
             const std::function<void(std::map<std::string, std::string>&)>& edit_metadata = {}) {
  const auto f = hgtok::SafetensorsFile::open(in);
  hgtok::SafetensorsWriter w;
  for (const auto& v : f.tensors()) {
    std::vector<unsigned char> bytes(v.data, v.data + v.nbytes);
    edit_tensor(v.name, bytes);
    w.add_raw(v.name, v.dtype, v.shape, bytes.data(), bytes.size());
  }
  auto meta = f.metadata();
  if (edit_metadata) edit_metadata(meta);
  for (const auto& [k, val] : meta) w.set_metadata(k, val);
  w.save(out);
}

void set_id(std::vector<unsigned char>& bytes, std::size_t i, Index v) { std::memcpy(bytes.data() + i * sizeof(Index), &v, sizeof v); }
Index get_id(const std::vector<unsigned char>& bytes, std::size_t i) {
  Index v;
  std::memcpy(&v, bytes.data() + i * sizeof(Index), sizeof v);
  return v;
}

/// Whether every feature and every CSR and COO array of `g` is read in place from its file (nothing was copied).
bool reads_in_place(const hgtok::HeteroGraph<float>& g) {
  for (Index t = 0; t < g.num_node_types(); ++t)
    if (!g.is_mapped(t)) return false;
  for (Index e = 0; e < g.num_edge_types(); ++e)
    if (!g.in_csr(e).indices.is_view() || !g.edge_src(e).is_view()) return false;
  return true;
}

TEST_CASE("compiled graph: the mapped graph has the loaded graph's features, CSRs and samples, read in place", "[graph]") {
  TempDir tmp;
  const std::string out = tmp.file("imdb.compiled.safetensors");
  hgtok::CompileOptions o;
  o.by_source = true;
  hgtok::compile_graph(sample_graph(), out, o);
  const auto loaded = hgtok::load_graph<float>(sample_graph());
  const auto mapped = hgtok::open_compiled_graph<float>(out);
  CHECK(reads_in_place(mapped));
  REQUIRE(mapped.node_types() == loaded.node_types());
  REQUIRE(mapped.num_edge_types() == loaded.num_edge_types());
  for (Index t = 0; t < loaded.num_node_types(); ++t) {
    CHECK(mapped.num_nodes(t) == loaded.num_nodes(t));
    CHECK(mapped.feature_dim(t) == loaded.feature_dim(t));
    CHECK(hgtok::Matrix<float>(mapped.features(t)) == loaded.x(t));
    CHECK(mapped.x(t) == loaded.x(t));  // the copy x() makes of a mapped type
  }
  for (Index e = 0; e < loaded.num_edge_types(); ++e) {
    INFO(loaded.edge_type(e).key());
    CHECK(mapped.edge_type(e) == loaded.edge_type(e));
    CHECK(mapped.edge_src(e) == loaded.edge_src(e).to_vector());
    CHECK(mapped.edge_dst(e) == loaded.edge_dst(e).to_vector());
    CHECK(mapped.in_csr(e).indptr == loaded.in_csr(e).indptr.to_vector());
    CHECK(mapped.in_csr(e).indices == loaded.in_csr(e).indices.to_vector());
    CHECK(mapped.in_csr(e).edge_ids == loaded.in_csr(e).edge_ids.to_vector());
    CHECK(mapped.out_csr(e).indptr == loaded.out_csr(e).indptr.to_vector());
    CHECK(mapped.out_csr(e).indices == loaded.out_csr(e).indices.to_vector());
    CHECK(mapped.out_csr(e).edge_ids == loaded.out_csr(e).edge_ids.to_vector());
    CHECK(mapped.out_csr(e).indices.is_view());
  }
  // Every target's subgraph is the same, features and edges.
  const hgtok::NeighborSampler sampler({3, 2}, 7);
  for (Index v = 0; v < loaded.num_nodes("movie"); ++v) {
    const auto a = sampler.sample(loaded, "movie", v), b = sampler.sample(mapped, "movie", v);
    REQUIRE(a.original_ids == b.original_ids);
    for (Index t = 0; t < a.graph.num_node_types(); ++t) CHECK(a.graph.x(t) == b.graph.x(t));
    for (Index e = 0; e < a.graph.num_edge_types(); ++e) {
      CHECK(a.graph.edge_src(e) == b.graph.edge_src(e).to_vector());
      CHECK(a.graph.edge_dst(e) == b.graph.edge_dst(e).to_vector());
    }
  }
  // Random walks read the CSR by source, mapped here.
  const hgtok::RandomWalkWithRestart walk(0.5, 30, std::map<std::string, Index>{{"movie", 3}, {"director", 2}, {"actor", 3}}, 5);
  const auto wa = walk.sample(loaded), wb = walk.sample(mapped);
  for (std::size_t c = 0; c < wa.lists.size(); ++c)
    for (std::size_t t = 0; t < wa.lists[c].size(); ++t) {
      CHECK(wa.lists[c][t].ids == wb.lists[c][t].ids);
      CHECK(wa.lists[c][t].counts == wb.lists[c][t].counts);
    }
  // A copy shares the mapping and outlives the original.
  std::unique_ptr<hgtok::HeteroGraph<float>> first(new hgtok::HeteroGraph<float>(hgtok::open_compiled_graph<float>(out)));
  const hgtok::HeteroGraph<float> copy(*first);
  first.reset();
  CHECK(hgtok::Matrix<float>(copy.features(0)) == loaded.x(0));
  CHECK(copy.in_neighbors(0, 3).size() == loaded.in_neighbors(0, 3).size());
  // open_graph maps a compiled file and loads any other; load_graph reads a compiled file too (its CSR rebuilt).
  CHECK(hgtok::open_graph<float>(out).is_mapped(0));
  CHECK_FALSE(hgtok::open_graph<float>(sample_graph()).is_mapped(0));
  CHECK(hgtok::load_graph<float>(out).in_csr(1).indices == loaded.in_csr(1).indices.to_vector());
  // Full validation of a good file passes, and so does the check against its source.
  hgtok::GraphOpenOptions full;
  full.validation = hgtok::GraphValidation::full;
  full.source = sample_graph();
  CHECK(hgtok::open_compiled_graph<float>(out, full).num_edges() == loaded.num_edges());
}

TEST_CASE("compiled graph: int32 and float64 sources, and compiling a compiled file", "[graph]") {
  TempDir tmp;
  write_ring(tmp.file("i32.safetensors"), 40, 3, hgtok::Dtype::I32);
  hgtok::compile_graph(tmp.file("i32.safetensors"), tmp.file("i32.c.safetensors"));
  const auto loaded = hgtok::load_graph<float>(tmp.file("i32.safetensors"));
  const auto mapped = hgtok::open_compiled_graph<float>(tmp.file("i32.c.safetensors"));
  CHECK(mapped.in_csr(0).indices == loaded.in_csr(0).indices.to_vector());
  CHECK(mapped.in_csr(0).edge_ids == loaded.in_csr(0).edge_ids.to_vector());
  // Opened as double, float32 features are converted into memory (not mapped), with the values load_graph gives.
  const auto as_double = hgtok::open_compiled_graph<double>(tmp.file("i32.c.safetensors"));
  CHECK_FALSE(as_double.is_mapped(0));
  CHECK(as_double.x(0) == hgtok::load_graph<double>(tmp.file("i32.safetensors")).x(0));
  // Compiling the compiled file again gives the same bytes except the source checksum.
  hgtok::compile_graph(tmp.file("i32.c.safetensors"), tmp.file("again.safetensors"));
  const auto a = hgtok::SafetensorsFile::open(tmp.file("i32.c.safetensors")), b = hgtok::SafetensorsFile::open(tmp.file("again.safetensors"));
  REQUIRE(a.names() == b.names());
  for (const auto& name : a.names())
    CHECK(std::vector<unsigned char>(a.at(name).data, a.at(name).data + a.at(name).nbytes) ==
            std::vector<unsigned char>(b.at(name).data, b.at(name).data + b.at(name).nbytes));
  CHECK(a.metadata().at("hgtok_csr") != "");
  CHECK(b.metadata().at("hgtok_source_checksum") != a.metadata().at("hgtok_source_checksum"));
}

TEST_CASE("compiled graph: compile refuses what load_graph refuses", "[graph]") {
  TempDir tmp;
  write_ring(tmp.file("g.safetensors"), 10, 2);
  rewrite(tmp.file("g.safetensors"), tmp.file("bad_id.safetensors"), [](const std::string& name, std::vector<unsigned char>& b) {
    if (name == "edge_index/b__to__a") set_id(b, 3, 7);  // source row: b has 7 nodes
  });
  HGTOK_REQUIRE_THROWS_WITH(hgtok::compile_graph(tmp.file("bad_id.safetensors"), tmp.file("o.safetensors")), hgtok::ValueError,
                            "field 'edge_index/b__to__a': source (row 0) id 7 of edge 3 is out of range [0, 7)");
  rewrite(tmp.file("g.safetensors"), tmp.file("nan.safetensors"), [](const std::string& name, std::vector<unsigned char>& b) {
    if (name == "x/b") {
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(b.data() + 4 * sizeof(float), &nan, sizeof nan);
    }
  });
  HGTOK_REQUIRE_THROWS_WITH(hgtok::compile_graph(tmp.file("nan.safetensors"), tmp.file("o.safetensors")), hgtok::ValueError,
                            "field 'x/b': feature (1, 1) is not finite");
  CHECK_FALSE(std::filesystem::exists(tmp.file("o.safetensors")));
  HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(tmp.file("g.safetensors")), hgtok::FormatError,
                            "not a compiled graph file");
}

TEST_CASE("compiled graph: bad, stale or edited CSR sections are FormatErrors naming file, tensor and value", "[graph][io]") {
  TempDir tmp;
  const std::string src = tmp.file("g.safetensors"), good = tmp.file("g.c.safetensors"), bad = tmp.file("bad.safetensors");
  write_ring(src, 10, 2);
  hgtok::compile_graph(src, good);
  hgtok::GraphOpenOptions full;
  full.validation = hgtok::GraphValidation::full;
  const auto edit = [&](const std::string& tensor, const std::function<void(std::vector<unsigned char>&)>& f) {
    rewrite(good, bad, [&](const std::string& name, std::vector<unsigned char>& b) {
      if (name == tensor) f(b);
    });
  };
  SECTION("truncated file") {
    auto bytes = hgtok_test::read_bytes(good);
    bytes.resize(bytes.size() - 9);
    hgtok_test::write_bytes(bad, bytes);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError, "is past the data section");
  }
  SECTION("offsets that decrease") {
    edit("csr/in/b__to__a/indptr", [](auto& b) { set_id(b, 4, get_id(b, 3) - 1); });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              bad + ": field 'csr/in/b__to__a/indptr': row 3 spans [10, 9)");
  }
  SECTION("offsets past the entries") {
    edit("csr/in/b__to__a/indptr", [](auto& b) { set_id(b, 10, 21); });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/in/b__to__a/indptr': runs from 0 to 21, expected 0 to 20");
  }
  SECTION("a neighbour id out of range") {
    edit("csr/in/b__to__a/indices", [](auto& b) { set_id(b, 5, 1000000); });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/in/b__to__a/indices': entry 5 is id 1000000, out of range [0, 7) of node type 'b'");
  }
  SECTION("an edge id out of range") {
    edit("csr/in/b__to__a/edge_ids", [](auto& b) { set_id(b, 4, -4); });  // the last entry of row 0
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/in/b__to__a/edge_ids': entry 4 (row 0, id 3) names edge -4");
  }
  SECTION("a stale CSR: edge_index edited after compiling") {
    edit("edge_index/b__to__a", [](auto& b) { set_id(b, 0, (get_id(b, 0) + 1) % 7); });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/in/b__to__a/edge_ids': entry 0 (row 0, id 0) names edge 0, which is not that edge "
                              "of edge_index/b__to__a: the CSR is stale or edited");
  }
  SECTION("a checksum that does not match: found by full validation") {
    rewrite(good, bad, [](const std::string&, std::vector<unsigned char>&) {},
            [](std::map<std::string, std::string>& m) {
              auto j = nlohmann::json::parse(m.at("hgtok_csr"));
              j["b__to__a"]["edge_index_checksum"] = "0123456789abcdef";
              m["hgtok_csr"] = j.dump();
            });
    CHECK(hgtok::open_compiled_graph<float>(bad).num_edges() == 20);  // sampled: the values are consistent
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad, full), hgtok::FormatError,
                              "field '__metadata__.hgtok_csr.b__to__a.edge_index_checksum': is '0123456789abcdef'");
  }
  SECTION("another format version") {
    rewrite(good, bad, [](const std::string&, std::vector<unsigned char>&) {},
            [](std::map<std::string, std::string>& m) { m["hgtok_format_version"] = "0"; });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field '__metadata__.hgtok_format_version': version '0', this build reads 1");
  }
  SECTION("a compiled file older than its source") {
    write_ring(src, 10, 3);  // the source changed after compiling
    hgtok::GraphOpenOptions o;
    o.source = src;
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(good, o), hgtok::FormatError,
                              "field '__metadata__.hgtok_source_checksum'");
    hgtok::compile_graph(src, good);
    CHECK(hgtok::open_compiled_graph<float>(good, o).num_edges() == 30);
  }
  SECTION("a CSR tensor of the wrong shape, missing or unexpected") {
    rewrite(good, bad, [](const std::string&, std::vector<unsigned char>&) {},
            [](std::map<std::string, std::string>& m) {
              auto j = nlohmann::json::parse(m.at("hgtok_csr"));
              j["b__to__a"]["edges"] = 21;
              m["hgtok_csr"] = j.dump();
            });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'edge_index/b__to__a': shape is [2, 20], expected [2, 21]");
    rewrite(good, bad, [](const std::string&, std::vector<unsigned char>&) {},
            [](std::map<std::string, std::string>& m) {
              auto j = nlohmann::json::parse(m.at("hgtok_csr"));
              j["b__to__a"]["by_source"] = true;
              m["hgtok_csr"] = j.dump();
            });
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/out/b__to__a/indptr': missing from the compiled file");
    const auto f = hgtok::SafetensorsFile::open(good);
    hgtok::SafetensorsWriter w;
    for (const auto& v : f.tensors()) w.add_raw(v.name, v.dtype, v.shape, v.data, v.nbytes);
    w.add_raw("csr/in/b__to__a/extra", hgtok::Dtype::I64, hgtok::Shape{1}, f.at("csr/in/b__to__a/indptr").data, 8);
    for (const auto& [k, val] : f.metadata()) w.set_metadata(k, val);
    w.save(bad);
    HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad), hgtok::FormatError,
                              "field 'csr/in/b__to__a/extra': unexpected CSR tensor");
  }
}

TEST_CASE("compiled graph: a bad entry that sampled validation misses is reported when read, never followed", "[graph][io]") {
  TempDir tmp;
  const std::string src = tmp.file("g.safetensors"), good = tmp.file("g.c.safetensors"), bad = tmp.file("bad.safetensors");
  write_ring(src, 1000, 2);  // 1000 rows: sampled validation reads 64 of them (rows 0, 15, 31, ...), not row 5
  hgtok::compile_graph(src, good);
  const auto g = hgtok::open_compiled_graph<float>(good);
  const auto row5 = g.in_neighbors(0, 5);
  REQUIRE(row5.size() == 5);
  const Index entry = g.in_csr(0).indptr[5];
  rewrite(good, bad, [&](const std::string& name, std::vector<unsigned char>& b) {
    if (name == "csr/in/b__to__a/indices") set_id(b, static_cast<std::size_t>(entry), Index(1) << 40);
  });
  const auto opened = hgtok::open_compiled_graph<float>(bad);  // sampled: the bad row is not among those read
  CHECK(opened.in_neighbors(0, 6).size() == 5);
  const std::string message = "field 'csr/in/b__to__a/indices': entry " + std::to_string(entry) + " is id 1099511627776, out of range [0, 7)";
  HGTOK_REQUIRE_THROWS_WITH(opened.in_neighbors(0, 5), hgtok::FormatError, message);
  const hgtok::NeighborSampler sampler({2}, 1);
  HGTOK_REQUIRE_THROWS_WITH(sampler.sample(opened, "a", 5), hgtok::FormatError, message);
  HGTOK_REQUIRE_THROWS_WITH(opened.in_csr(0), hgtok::FormatError, message);  // the whole CSR is checked before it is handed out
  HGTOK_REQUIRE_THROWS_WITH(opened.edge_src(0), hgtok::FormatError, message);
  hgtok::GraphOpenOptions full;
  full.validation = hgtok::GraphValidation::full;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(bad, full), hgtok::FormatError, message);
}

TEST_CASE("compiled graph: limits apply to a mapped graph as to a loaded one", "[graph][io]") {
  TempDir tmp;
  write_ring(tmp.file("g.safetensors"), 10, 2);
  hgtok::compile_graph(tmp.file("g.safetensors"), tmp.file("g.c.safetensors"));
  hgtok_test::LimitsGuard guard;
  hgtok::limits().max_graph_edges = 19;
  HGTOK_REQUIRE_THROWS_WITH(hgtok::open_compiled_graph<float>(tmp.file("g.c.safetensors")), hgtok::ResourceError,
                            "above max_graph_edges = 19");
  HGTOK_REQUIRE_THROWS_WITH(hgtok::compile_graph(tmp.file("g.safetensors"), tmp.file("o.safetensors")), hgtok::ResourceError,
                            "above max_graph_edges = 19");
}

TEST_CASE("checksum: independent of how the bytes are split", "[graph][io]") {
  std::vector<unsigned char> bytes(1000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 3);
  hgtok::detail::Checksum whole;
  whole.add(bytes.data(), bytes.size());
  for (std::size_t split : {std::size_t(1), std::size_t(31), std::size_t(32), std::size_t(500), std::size_t(999)}) {
    hgtok::detail::Checksum parts;
    parts.add(bytes.data(), split);
    parts.add(bytes.data() + split, bytes.size() - split);
    CHECK(parts.value() == whole.value());
  }
  hgtok::detail::Checksum shorter;
  shorter.add(bytes.data(), bytes.size() - 1);
  CHECK(shorter.value() != whole.value());
  bytes[500] ^= 1;
  hgtok::detail::Checksum flipped;
  flipped.add(bytes.data(), bytes.size());
  CHECK(flipped.value() != whole.value());
}

}  // namespace test_compiled_graph
