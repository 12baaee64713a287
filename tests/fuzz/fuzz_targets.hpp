// The fuzz targets (docs/security.md): each feeds arbitrary bytes to one of hgtok's readers of untrusted input and
// accepts only an hgtok::Error; any other exception, a crash or a sanitizer report is a finding. Targets that read
// several files take them as one input: the parts split at kPartSeparator, written to fixed names in a scratch
// directory. Each target also has seeds built from tests/fixtures/, so a run starts from valid files.
//
// Built two ways from fuzz_main.cpp: with clang's libFuzzer (one binary, the target chosen by HGTOK_FUZZ_TARGET),
// and with any compiler as a plain program that replays seeds and inputs (run by ctest, label fuzz).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <hgtok/graph/io.hpp>
#include <hgtok/io/npy.hpp>
#include <hgtok/io/safetensors.hpp>
#include <hgtok/text/embedding_table.hpp>
#include <hgtok/text/sentence_encoder.hpp>
#include <hgtok/text/wordpiece.hpp>
#include <hgtok/tokenizer/tokenizer.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hgtok_fuzz {

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

/// Separates the files of a multi-file input (a line no real file here holds).
inline const std::string kPartSeparator = "\n#@#\n";

/// The parts of a multi-file input, at most `max_parts` (the last keeps any further separators).
inline std::vector<std::string> split_parts(const std::uint8_t* data, std::size_t size, std::size_t max_parts) {
  const std::string s(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (parts.size() + 1 < max_parts) {
    const auto next = s.find(kPartSeparator, at);
    if (next == std::string::npos) break;
    parts.push_back(s.substr(at, next - at));
    at = next + kPartSeparator.size();
  }
  parts.push_back(s.substr(at));
  return parts;
}

/// Joins files into one input.
inline Bytes join_parts(const std::vector<std::string>& parts) {
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? kPartSeparator : "") + parts[i];
  return Bytes(s.begin(), s.end());
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
}

/// This process's scratch directory, emptied for each input.
inline fs::path scratch() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("hgtok_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("hgtok_fuzz_" + std::to_string(::getpid())), ec);
    });
    return d;
  }();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
  return dir;
}

/// Limits for fuzzing: what a reader accepts must fit libFuzzer's default 2 GB RSS limit (every limit is checked
/// the same way at any value, so lowering them loses no code).
inline void fuzz_limits() {
  auto& l = hgtok::limits();
  l.max_file_bytes = std::uint64_t(1) << 24;
  l.max_graph_nodes = std::int64_t(1) << 20;
  l.max_graph_edges = std::int64_t(1) << 20;
  l.max_graph_index_entries = std::int64_t(1) << 22;
}
inline constexpr hgtok::Index kFuzzNodesWithoutFeatures = hgtok::Index(1) << 20;

// ---- the targets -------------------------------------------------------------------------------------------------

/// safetensors from bytes: parse, then convert every tensor.
inline void safetensors(const std::uint8_t* data, std::size_t size) {
  const auto f = hgtok::SafetensorsFile::from_bytes(Bytes(data, data + size), "fuzz.safetensors");
  for (const auto& v : f.tensors()) {
    (void)v.numel();
    if (v.dtype != hgtok::Dtype::BOOL) (void)v.to_vector<double>();
  }
}

/// .npy: parse in memory, convert, and read from a file into an xtensor array (xtensor computes strides).
inline void npy(const std::uint8_t* data, std::size_t size) {
  const auto a = hgtok::parse_npy(Bytes(data, data + size), "fuzz.npy");
  (void)a.to_vector<double>();
  const auto path = scratch() / "a.npy";
  write_text(path, std::string(reinterpret_cast<const char*>(data), size));
  const auto x = hgtok::load_npy<float>(path.string());
  (void)x.size();
}

/// Queries every edge type of a graph read from a file (the CSRs, both ways).
template <class T>
void touch_graph(const hgtok::HeteroGraph<T>& g) {
  for (hgtok::Index e = 0; e < g.num_edge_types(); ++e) {
    if (g.num_nodes(g.dst_type_id(e)) > 0) (void)g.in_neighbors(e, 0);
    if (g.num_nodes(g.src_type_id(e)) > 0) (void)g.out_neighbors(e, 0);
  }
}

/// A graph safetensors file.
inline void graph(const std::uint8_t* data, std::size_t size) {
  const auto path = scratch() / "g.safetensors";
  write_text(path, std::string(reinterpret_cast<const char*>(data), size));
  touch_graph(hgtok::load_graph<float>(path.string(), kFuzzNodesWithoutFeatures));
}

/// The files of a graph directory: graph.json, then 0.npy, 1.npy, ... (graph.json names them).
inline void graph_dir(const std::uint8_t* data, std::size_t size) {
  const auto parts = split_parts(data, size, 9);
  const auto dir = scratch() / "g";
  write_text(dir / "graph.json", parts[0]);
  for (std::size_t i = 1; i < parts.size(); ++i) write_text(dir / (std::to_string(i - 1) + ".npy"), parts[i]);
  touch_graph(hgtok::load_graph_dir<float>(dir.string(), kFuzzNodesWithoutFeatures));
}

/// An embedding table as safetensors.
inline void table_safetensors(const std::uint8_t* data, std::size_t size) {
  const auto path = scratch() / "t.safetensors";
  write_text(path, std::string(reinterpret_cast<const char*>(data), size));
  const auto t = hgtok::EmbeddingTable<float>::load(path.string());
  (void)t.size();
}

/// An embedding table as keys.json, then table.npy.
inline void table_npy(const std::uint8_t* data, std::size_t size) {
  const auto parts = split_parts(data, size, 2);
  const auto dir = scratch();
  write_text(dir / "keys.json", parts[0]);
  write_text(dir / "table.npy", parts.size() > 1 ? parts[1] : std::string());
  const auto t = hgtok::EmbeddingTable<float>::load_npy((dir / "table.npy").string(), (dir / "keys.json").string());
  (void)t.size();
}

/// WordPiece on arbitrary bytes: one part is text for a fixed vocabulary; two are a vocab.txt, then the text.
inline void wordpiece(const std::uint8_t* data, std::size_t size) {
  static const auto fixed = hgtok::WordPieceTokenizer::load(std::string(HGTOK_TESTS_DIR) + "/fixtures/sbert_tiny/vocab.txt");
  const auto parts = split_parts(data, size, 2);
  if (parts.size() == 1) {
    (void)fixed.encode(parts[0], 64);
    (void)fixed.tokenize(parts[0]);
    return;
  }
  std::vector<std::string> vocab;
  std::string line;
  for (char c : parts[0]) {
    if (c == '\n') vocab.push_back(std::move(line)), line.clear();
    else line.push_back(c);
  }
  if (!line.empty()) vocab.push_back(line);
  const auto t = hgtok::WordPieceTokenizer::from_vocab(vocab, {}, "fuzz_vocab.txt");
  (void)t.encode(parts[1], 64);
}

/// A tokenizer directory: config.json, then weights.safetensors.
inline void tokenizer(const std::uint8_t* data, std::size_t size) {
  const auto parts = split_parts(data, size, 2);
  const auto dir = scratch() / "tok";
  write_text(dir / "config.json", parts[0]);
  write_text(dir / "weights.safetensors", parts.size() > 1 ? parts[1] : std::string());
  const auto t = hgtok::Tokenizer<float>::load(dir.string());
  (void)t.layers().size();
}

/// The files of a sentence-transformers model directory, in kSbertFiles order.
inline const std::vector<std::string> kSbertFiles = {"modules.json",          "sentence_bert_config.json",
                                                     "config.json",           "tokenizer_config.json",
                                                     "1_Pooling/config.json", "vocab.txt",
                                                     "model.safetensors"};
inline void sbert(const std::uint8_t* data, std::size_t size) {
  const auto parts = split_parts(data, size, kSbertFiles.size());
  const auto dir = scratch() / "sbert";
  for (std::size_t i = 0; i < parts.size(); ++i) write_text(dir / kSbertFiles[i], parts[i]);
  const auto e = hgtok::SentenceEncoder<float>::load(dir.string());
  (void)e.encode({"a movie directed by a director"});
}

// ---- seeds -------------------------------------------------------------------------------------------------------

inline std::string fixture(const std::string& rel) { return read_text(std::string(HGTOK_TESTS_DIR) + "/fixtures/" + rel); }
inline Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

/// A graph directory input made from a graph fixture: save_graph_dir's files renamed 0.npy, 1.npy, ...
inline Bytes graph_dir_seed(const std::string& graph_fixture) {
  const auto g = hgtok::load_graph<float>(std::string(HGTOK_TESTS_DIR) + "/fixtures/" + graph_fixture);
  const auto dir = scratch() / "seed";
  hgtok::save_graph_dir(g, dir.string());
  auto j = nlohmann::json::parse(read_text(dir / "graph.json"));
  std::vector<std::string> parts{""};
  for (auto* list : {&j["node_types"], &j["edge_types"]})
    for (auto& entry : *list) {
      const char* key = entry.contains("x") ? "x" : "edge_index";
      parts.push_back(read_text(dir / entry[key].get<std::string>()));
      entry[key] = std::to_string(parts.size() - 2) + ".npy";
    }
  parts[0] = j.dump();
  return join_parts(parts);
}

struct Target {
  std::string name;
  std::function<void(const std::uint8_t*, std::size_t)> run;
  std::function<std::vector<Bytes>()> seeds;
};

/// Every target, with its seeds.
inline const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"safetensors", safetensors, [] {
         return std::vector<Bytes>{bytes_of(fixture("io_dtypes.safetensors")), bytes_of(fixture("hgt_single_graph.safetensors")),
                                   bytes_of(fixture("tokenizer_table.safetensors"))};
       }},
      {"npy", npy, [] {
         std::vector<Bytes> s;
         for (const char* name : {"npy_b1.npy", "npy_f2.npy", "npy_cube.npy", "npy_be_f4.npy", "npy_c8.npy"})
           s.push_back(bytes_of(fixture(name)));
         return s;
       }},
      {"graph", graph, [] {
         return std::vector<Bytes>{bytes_of(fixture("hgt_single_graph.safetensors")), bytes_of(fixture("pyg_graph.safetensors")),
                                   bytes_of(fixture("han_graph.safetensors"))};
       }},
      {"graph_dir", graph_dir, [] {
         return std::vector<Bytes>{graph_dir_seed("hgt_single_graph.safetensors"), graph_dir_seed("pyg_graph.safetensors")};
       }},
      {"table_safetensors", table_safetensors, [] { return std::vector<Bytes>{bytes_of(fixture("tokenizer_table.safetensors"))}; }},
      {"table_npy", table_npy, [] {
         return std::vector<Bytes>{join_parts({fixture("imdb_table_keys.json"), fixture("imdb_table.npy")})};
       }},
      {"wordpiece", wordpiece, [] {
         return std::vector<Bytes>{bytes_of("Héllo, WORLD! naïve 東京 tokenization's [CLS] ##ing"),
                                   join_parts({"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##ing\nwor\n##ld", "hello worlding"})};
       }},
      {"tokenizer", tokenizer, [] {
         return std::vector<Bytes>{
             join_parts({fixture("tokenizer_linear/config.json"), fixture("tokenizer_linear/weights.safetensors")}),
             join_parts({fixture("tokenizer_prefix/config.json"), fixture("tokenizer_prefix/weights.safetensors")})};
       }},
      {"sbert", sbert, [] {
         std::vector<std::string> parts;
         for (const auto& name : kSbertFiles) parts.push_back(fixture("sbert_tiny/" + name));
         return std::vector<Bytes>{join_parts(parts)};
       }},
  };
  return all;
}

/// The target named `name`, or null.
inline const Target* find_target(const std::string& name) {
  for (const auto& t : targets())
    if (t.name == name) return &t;
  return nullptr;
}

/// Writes the seeds of `t` into `dir` as seed_0, seed_1, ...; returns how many.
inline std::size_t write_seeds(const Target& t, const fs::path& dir) {
  const auto seeds = t.seeds();
  fs::create_directories(dir);
  for (std::size_t i = 0; i < seeds.size(); ++i)
    write_text(dir / ("seed_" + std::to_string(i)), std::string(seeds[i].begin(), seeds[i].end()));
  return seeds.size();
}

/// Runs a target on one input: an hgtok::Error is the expected answer to bad input; anything else escapes.
inline void run_one(const Target& t, const std::uint8_t* data, std::size_t size) {
  try {
    t.run(data, size);
  } catch (const hgtok::Error&) {
  }
}

}  // namespace hgtok_fuzz
