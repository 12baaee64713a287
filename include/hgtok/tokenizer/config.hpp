// TokenizerConfig: the schema of a tokenizer's config.json.
//
// Every field is described once, in detail::config_fields(): its name, how it is read and validated, how it is
// written, and why a kernel that does not take it refuses it. A kernel says which fields it takes in its entry of
// the kernel registry (tokenizer/kernels.hpp, TokenizerKernel::fields); the common fields (kernel, hidden_channels,
// num_layers, llm_dim, projector, num_prefix_tokens) every kernel takes. from_json reads exactly the fields of the
// config's kernel, in the table's order; a field of another kernel, or an unknown key, is a FormatError naming it.
//
// Over ~500 lines because the field table is one list by design (one place per field, read in order); splitting it
// across headers would scatter the schema.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/metapath.hpp"
#include "hgtok/io/json.hpp"

namespace hgtok {

struct TokenizerConfig;

/// A kernel as the config sees it: derived from the kernel's trait by the registry (tokenizer/kernels.hpp).
struct TokenizerKernel {
  std::string name;
  bool generated = false;           ///< per-type weights generated from an EmbeddingTable (else one weight set per type)
  std::vector<std::string> fields;  ///< the config fields it takes besides the common ones, in the docs' order
  /// Checks across fields (after all are read); throws an hgtok::Error naming the source and field.
  void (*check)(const TokenizerConfig&, const std::string& source) = nullptr;

  bool takes(const std::string& field) const {
    for (const auto& f : fields)
      if (f == field) return true;
    return false;
  }
};

/// The library's kernels, in the order error messages list them (defined by the registry, tokenizer/kernels.hpp).
inline const std::vector<TokenizerKernel>& tokenizer_kernels();

/// Everything that shapes a tokenizer (config.json). Which fields a kernel takes: its registry entry and
/// docs/tokenizer.md (a field the kernel does not take is a FormatError naming it).
struct TokenizerConfig {
  std::string kernel = "meta_hgt";   ///< the encoder layer: a name of the kernel registry (meta_hgt, hgt, han, ...)
  std::string variant = "pretrain";  ///< meta_hgt: "pretrain" (HG_grounding) or "inference" (higpt/model copy)
  Index in_channels = 0;             ///< node feature width, the same for every node type (not hetgnn, meta_hetgnn)
  /// hgt, han: one width per node type instead (PyG's in_channels dict; JSON: an object); empty: in_channels
  std::map<std::string, Index> in_channels_by_type;
  Index hidden_channels = 0;         ///< width of every layer's output
  Index heads = 1;                   ///< meta_hgt, hgt, han
  Index num_layers = 1;
  Index embedding_dim = 0;           ///< meta_hgt, meta_han, meta_hetgnn: type-embedding width m
  std::vector<std::string> node_types;  ///< hgt, han, hetgnn: the layer's node types (PyG metadata()[0])
  std::vector<EdgeType> edge_types;     ///< hgt, han, hetgnn: the layer's edge types, in order (PyG metadata()[1])
  std::vector<Metapath> metapaths;      ///< han, meta_han: metapaths added before encoding (edge type j: src__metapath_<j>__dst)
  bool keep_same_node_type = false;         ///< han, meta_han with metapaths: AddMetaPaths' flag (drop_orig_edge_types is on)
  bool drop_unconnected_node_types = false; ///< han, meta_han with metapaths: AddMetaPaths' flag
  double restart_prob = 0;  ///< hetgnn, meta_hetgnn: RandomWalkWithRestart's parameters
  Index walk_length = 0;
  Index top_k = 0;                            ///< neighbours kept per node type (the same for all)
  std::map<std::string, Index> top_k_by_type; ///< or one k per node type (JSON: an object); types not listed: none
  std::uint64_t seed = 0;
  Index content_dim = 0;                      ///< hetgnn, meta_hetgnn: content-vector width (features = C vectors)
  std::map<std::string, Index> content_dim_by_type;  ///< hetgnn: one per node type instead (JSON: an object)
  /// hetgnn: "openhgnn" presets the four choices below to OpenHGNN's HetGNN (docs/hetgnn.md); fields given
  /// explicitly override the preset. "": hgtok's defaults.
  std::string compat;
  std::string empty_neighbors = "drop";     ///< hetgnn: "drop" (default) or "zero" (OpenHGNN)
  std::string content_encoder = "per_type"; ///< hetgnn: "per_type" (default) or "shared" (OpenHGNN)
  bool attention_bias = false;              ///< hetgnn: the layer has neigh_att_bias.<t> (OpenHGNN); loaded when present anyway
  std::string walk = "hgtok";               ///< hetgnn, meta_hetgnn: "hgtok" (RandomWalkWithRestart) or "openhgnn" (OpenHGNNWalk)
  Index walks_per_node = 10;                ///< walk "openhgnn": walks from every node (OpenHGNN's rw_walks)
  std::string projector = "linear";  ///< "linear" (HiGPT graph_projector) or "mlp_prefix" (G-Retriever)
  Index num_prefix_tokens = 0;       ///< mlp_prefix: k tokens per graph (0 for linear)
  Index llm_dim = 0;                 ///< LLM embedding width (projector output)
  std::string source;                ///< where the config was read from (named in errors); not part of the JSON

  /// `source`, or "TokenizerConfig" for a config built in code.
  std::string source_name() const { return source.empty() ? "TokenizerConfig" : source; }
  /// The kernel's entry of `kernels` (ValueError naming an unknown kernel).
  const TokenizerKernel& kernel_info(const std::vector<TokenizerKernel>& kernels = tokenizer_kernels()) const {
    return find_kernel(kernel, source_name(), kernels);
  }
  /// Input width of node type `type` for layer 0 (hgt, han).
  Index in_width(const std::string& type) const {
    if (in_channels_by_type.empty()) return in_channels;
    auto it = in_channels_by_type.find(type);
    return it == in_channels_by_type.end() ? 0 : it->second;
  }
  /// Content-vector width of node type `type` for layer 0 (hetgnn, meta_hetgnn).
  Index content_width(const std::string& type) const {
    if (content_dim_by_type.empty()) return content_dim;
    auto it = content_dim_by_type.find(type);
    return it == content_dim_by_type.end() ? 0 : it->second;
  }

  /// The JSON of config.json: the common fields and the kernel's own.
  nlohmann::json to_json(const std::vector<TokenizerKernel>& kernels = tokenizer_kernels()) const;

  /// Parses and validates; `source` names the file in errors. Unknown keys, and keys the kernel does not take,
  /// are a FormatError (a typo must not silently fall back to a default). `kernels`: the registry to look the
  /// kernel up in (a Tokenizer with its own kernel list passes its own).
  static TokenizerConfig from_json(const nlohmann::json& j, const std::string& source,
                                   const std::vector<TokenizerKernel>& kernels = tokenizer_kernels());

  static const TokenizerKernel& find_kernel(const std::string& name, const std::string& source,
                                            const std::vector<TokenizerKernel>& kernels) {
    for (const auto& k : kernels)
      if (name == k.name) return k;
    std::string names;
    for (const auto& k : kernels) names += (names.empty() ? "" : ", ") + k.name;
    throw ValueError(source, "kernel", "unknown kernel '" + name + "' (a Tokenizer composes: " + names + ")");
  }
};

namespace detail {

/// One from_json call: the JSON, the config being filled, its kernel and the readers every field uses.
struct ConfigReader {
  const nlohmann::json& j;
  const std::string& source;
  const TokenizerKernel& kernel;
  const std::vector<TokenizerKernel>& kernels;
  TokenizerConfig& c;

  bool has(const char* key) const { return j.contains(key); }
  std::string got(const char* key) const { return j.contains(key) ? detail::json_excerpt(j[key]) : std::string("nothing"); }
  static bool is_int(const nlohmann::json& v) {
    return v.is_number_integer() && v.get<std::int64_t>() > 0 && v.get<std::int64_t>() <= (std::int64_t(1) << 24);
  }
  Index integer(const char* key) const {
    if (!has(key) || !is_int(j[key])) throw FormatError(source, key, "must be an integer in [1, 2^24], got " + got(key));
    return j[key].get<Index>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!j[key].is_string()) throw FormatError(source, key, "must be a string, got " + detail::json_excerpt(j[key]));
    return j[key].get<std::string>();
  }
  bool boolean(const char* key) const {
    if (!has(key)) return false;
    if (!j[key].is_boolean()) throw FormatError(source, key, "must be true or false, got " + detail::json_excerpt(j[key]));
    return j[key].get<bool>();
  }
  /// An integer, or (when `per_type`) an object {node type: integer}.
  void integer_or_map(const char* key, bool per_type, Index& one, std::map<std::string, Index>& by_type) const {
    if (per_type && has(key) && j[key].is_object() && !j[key].empty()) {
      for (auto it = j[key].begin(); it != j[key].end(); ++it) {
        if (!is_int(it.value()))
          throw FormatError(source, std::string(key) + "/" + it.key(), "must be an integer in [1, 2^24], got " + detail::json_excerpt(it.value()));
        by_type[it.key()] = it.value().get<Index>();
      }
      return;
    }
    if (!has(key) || !is_int(j[key]))
      throw FormatError(source, key,
                        std::string("must be an integer in [1, 2^24]") + (per_type ? " or an object {node type: integer}" : "") +
                            ", got " + got(key));
    one = j[key].get<Index>();
  }
  /// A per-type object must name only the config's node types (and, when `all`, every one of them).
  void check_types(const char* key, const std::map<std::string, Index>& by_type, bool all) const {
    const std::set<std::string> types(c.node_types.begin(), c.node_types.end());
    for (const auto& kv : by_type)
      if (!types.count(kv.first))
        throw LookupError(source, std::string(key) + "/" + kv.first, "node type '" + kv.first + "' is not in node_types");
    if (all && !by_type.empty())
      for (const auto& t : c.node_types)
        if (!by_type.count(t)) throw LookupError(source, key, "no value for node type '" + t + "'");
  }
  EdgeType edge_type(const nlohmann::json& v, const std::string& field) const {
    if (!v.is_string()) throw FormatError(source, field, "must be an edge type 'src__relation__dst', got " + detail::json_excerpt(v));
    try {
      return EdgeType::parse(v.get<std::string>(), source);
    } catch (const FormatError&) {
      throw FormatError(source, field, "'" + v.get<std::string>() + "' is not an edge type 'src__relation__dst'");
    }
  }
  /// The kernels of `kernels` that take `field` (or, with field empty, that are generated / static).
  std::string names(const std::string& field, bool generated = false) const {
    std::string out;
    for (const auto& k : kernels)
      if (field.empty() ? k.generated == generated : k.takes(field)) out += (out.empty() ? "" : ", ") + k.name;
    return out;
  }
};

inline nlohmann::json per_type_json(Index one, const std::map<std::string, Index>& by_type) {
  if (by_type.empty()) return one;
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [t, v] : by_type) o[t] = v;
  return o;
}

/// One config.json field. `common`: every kernel takes it. `refusal`: why a kernel that does not take it refuses
/// it. `read` validates and fills the config; `write` adds the field to the JSON (when it applies).
struct ConfigField {
  const char* name;
  bool common;
  std::function<std::string(const ConfigReader&)> refusal;
  std::function<void(ConfigReader&)> read;
  std::function<void(const TokenizerConfig&, nlohmann::json&)> write;
  const char* doc_static;     ///< the docs' kernel table: the value's form for a static kernel ("" = none given)
  const char* doc_generated;  ///< ... for a generated kernel
};

/// Why a generated kernel refuses node_types / edge_types, and a kernel without random walks their fields.
inline std::string metadata_refusal(const ConfigReader& r) {
  return "it generates its per-type weights from the EmbeddingTable, so any type works (static kernels: " + r.names("", false) + ")";
}
inline std::string walk_refusal(const ConfigReader&) { return "random-walk neighbours are HetGNN's"; }

/// A string field of the HetGNN choices: one of `allowed`; absent: the compat preset's value (`preset`) or `base`.
inline ConfigField hetgnn_choice(const char* name, std::string TokenizerConfig::*member, std::vector<std::string> allowed,
                                 std::string base, std::string preset, const char* doc, bool meta_too = false) {
  return {name, false,
          [meta_too](const ConfigReader&) { return std::string(meta_too ? "random-walk neighbours are HetGNN's" : "it is a choice of the hetgnn kernel"); },
          [=](ConfigReader& r) {
            const std::string fallback = r.c.compat == "openhgnn" ? preset : base;
            r.c.*member = r.string(name, fallback);
            if (std::find(allowed.begin(), allowed.end(), r.c.*member) == allowed.end()) {
              std::string list;
              for (const auto& a : allowed) list += (list.empty() ? "" : " or ") + a;
              throw ValueError(r.source, name, "unknown value '" + r.c.*member + "' (" + list + ")");
            }
          },
          [=](const TokenizerConfig& c, nlohmann::json& j) {
            if (c.*member != (c.compat == "openhgnn" ? preset : base)) j[name] = c.*member;
          },
          doc, doc};
}

/// AddMetaPaths' flags (keep_same_node_type, drop_unconnected_node_types): booleans that only apply with metapaths.
inline ConfigField metapath_flag(const char* name, bool TokenizerConfig::*member) {
  return {name, false, [](const ConfigReader& r) { return "metapaths are HAN's (" + r.names("metapaths") + ")"; },
          [name, member](ConfigReader& r) {
            r.c.*member = r.boolean(name);
            if (r.c.metapaths.empty() && r.has(name)) throw FormatError(r.source, name, "only applies with metapaths");
          },
          [name, member](const TokenizerConfig& c, nlohmann::json& j) {
            if (!c.metapaths.empty()) j[name] = c.*member;
          },
          "optional", "optional"};
}

/// The fields, in the order from_json reads them (a field may use those before it: heads checks that it divides
/// hidden_channels once the single-valued fields are read).
inline const std::vector<ConfigField>& config_fields() {
  using J = nlohmann::json;
  using R = ConfigReader;
  using C = TokenizerConfig;
  static const std::vector<ConfigField> fields{
      {"variant", false, [](const R& r) { return "only " + r.names("variant") + " has a variant"; },
       [](R& r) {
         r.c.variant = r.string("variant", "pretrain");
         if (r.c.variant != "pretrain" && r.c.variant != "inference")
           throw ValueError(r.source, "variant", "unknown variant '" + r.c.variant + "' (pretrain or inference)");
       },
       [](const C& c, J& j) { j["variant"] = c.variant; }, "", "`pretrain`/`inference`"},
      {"hidden_channels", true, nullptr, [](R& r) { r.c.hidden_channels = r.integer("hidden_channels"); },
       [](const C& c, J& j) { j["hidden_channels"] = c.hidden_channels; }, "", ""},
      {"num_layers", true, nullptr,
       [](R& r) {
         r.c.num_layers = r.integer("num_layers");
         if (r.c.num_layers > 64) throw FormatError(r.source, "num_layers", "at most 64, got " + std::to_string(r.c.num_layers));
       },
       [](const C& c, J& j) { j["num_layers"] = c.num_layers; }, "", ""},
      {"embedding_dim", false,
       [](const R& r) {
         return "it learns one weight set per type and reads no type embedding (generated kernels: " + r.names("", true) + ")";
       },
       [](R& r) { r.c.embedding_dim = r.integer("embedding_dim"); }, [](const C& c, J& j) { j["embedding_dim"] = c.embedding_dim; },
       "", ""},
      {"llm_dim", true, nullptr, [](R& r) { r.c.llm_dim = r.integer("llm_dim"); }, [](const C& c, J& j) { j["llm_dim"] = c.llm_dim; },
       "", ""},
      {"projector", true, nullptr,
       [](R& r) {
         r.c.projector = r.string("projector", "linear");
         if (r.c.projector != "linear" && r.c.projector != "mlp_prefix")
           throw ValueError(r.source, "projector", "unknown projector '" + r.c.projector + "' (linear or mlp_prefix)");
       },
       [](const C& c, J& j) { j["projector"] = c.projector; }, "", ""},
      {"num_prefix_tokens", true, nullptr,
       [](R& r) {
         if (r.c.projector == "mlp_prefix") {
           r.c.num_prefix_tokens = r.integer("num_prefix_tokens");
         } else if (r.has("num_prefix_tokens")) {
           throw FormatError(r.source, "num_prefix_tokens", "only an mlp_prefix projector has prefix tokens");
         }
       },
       [](const C& c, J& j) {
         if (c.projector == "mlp_prefix") j["num_prefix_tokens"] = c.num_prefix_tokens;
       },
       "", ""},
      {"heads", false, [](const R&) { return std::string("it has no attention heads"); },
       [](R& r) {
         r.c.heads = r.integer("heads");
         if (r.c.hidden_channels % r.c.heads != 0)
           throw ValueError(r.source, "heads", std::to_string(r.c.heads) + " heads do not divide hidden_channels " +
                                                   std::to_string(r.c.hidden_channels));
       },
       [](const C& c, J& j) { j["heads"] = c.heads; }, "", ""},
      {"node_types", false,
       metadata_refusal,
       [](R& r) {
         if (!r.has("node_types"))
           throw FormatError(r.source, "node_types", "kernel " + r.c.kernel + " needs its layer's metadata: missing (a list of node type names)");
         const auto& v = r.j["node_types"];
         if (!v.is_array() || v.empty())
           throw FormatError(r.source, "node_types", "must be a non-empty list of node type names, got " + detail::json_excerpt(v));
         std::set<std::string> types;
         for (std::size_t i = 0; i < v.size(); ++i) {
           const std::string field = "node_types[" + std::to_string(i) + "]";
           if (!v[i].is_string() || v[i].get<std::string>().empty() || v[i].get<std::string>().find("__") != std::string::npos ||
               v[i].get<std::string>().find('/') != std::string::npos)
             throw FormatError(r.source, field, "must be a node type name (no '__' or '/'), got " + detail::json_excerpt(v[i]));
           if (!types.insert(v[i].get<std::string>()).second) throw ValueError(r.source, field, "node type " + detail::json_excerpt(v[i]) + " is listed twice");
           r.c.node_types.push_back(v[i].get<std::string>());
         }
       },
       [](const C& c, J& j) { j["node_types"] = c.node_types; }, "", ""},
      {"edge_types", false,
       metadata_refusal,
       [](R& r) {
         if (!r.has("edge_types"))
           throw FormatError(r.source, "edge_types",
                             "kernel " + r.c.kernel + " needs its layer's metadata: missing (a list of 'src__relation__dst' keys)");
         const auto& v = r.j["edge_types"];
         if (!v.is_array() || v.empty())
           throw FormatError(r.source, "edge_types", "must be a non-empty list of 'src__relation__dst' keys, got " + detail::json_excerpt(v));
         const std::set<std::string> types(r.c.node_types.begin(), r.c.node_types.end());
         std::set<std::string> keys;
         for (std::size_t i = 0; i < v.size(); ++i) {
           const std::string field = "edge_types[" + std::to_string(i) + "]";
           const EdgeType e = r.edge_type(v[i], field);
           for (const auto& end : {e.src, e.dst})
             if (!types.count(end))
               throw LookupError(r.source, field, "edge type '" + e.key() + "' names node type '" + end + "', which is not in node_types");
           if (!keys.insert(e.key()).second) throw ValueError(r.source, field, "edge type '" + e.key() + "' is listed twice");
           r.c.edge_types.push_back(e);
         }
       },
       [](const C& c, J& j) {
         j["edge_types"] = J::array();
         for (const auto& e : c.edge_types) j["edge_types"].push_back(e.key());
       },
       "", ""},
      {"in_channels", false,
       [](const R&) { return std::string("its features are content vectors of width content_dim (any multiple of it per type)"); },
       [](R& r) {
         r.integer_or_map("in_channels", !r.kernel.generated, r.c.in_channels, r.c.in_channels_by_type);
         r.check_types("in_channels", r.c.in_channels_by_type, true);
       },
       [](const C& c, J& j) { j["in_channels"] = per_type_json(c.in_channels, c.in_channels_by_type); }, "int, or `{node type: width}`",
       "int"},
      // metapaths (han, meta_han): lists of chaining edge types; metapath j builds src__metapath_<j>__dst, which for
      // a static kernel must be one of edge_types (the layer's metadata after the transform); for a generated one its
      // embedding edge/src__metapath_<j>__dst comes from the EmbeddingTable at run time.
      {"metapaths", false, [](const R& r) { return "metapaths are HAN's (" + r.names("metapaths") + ")"; },
       [](R& r) {
         if (!r.has("metapaths")) return;
         const auto& mp = r.j["metapaths"];
         if (!mp.is_array())
           throw FormatError(r.source, "metapaths", "must be a list of lists of 'src__relation__dst' keys, got " + detail::json_excerpt(mp));
         std::set<std::string> keys;
         for (const auto& e : r.c.edge_types) keys.insert(e.key());
         for (std::size_t p = 0; p < mp.size(); ++p) {
           const std::string field = "metapaths[" + std::to_string(p) + "]";
           if (!mp[p].is_array() || mp[p].size() < 2)
             throw ValueError(r.source, field, "a metapath is a list of at least two edge types, got " + detail::json_excerpt(mp[p]));
           Metapath path;
           for (std::size_t i = 0; i < mp[p].size(); ++i) path.push_back(r.edge_type(mp[p][i], field + "[" + std::to_string(i) + "]"));
           for (std::size_t i = 0; i + 1 < path.size(); ++i)
             if (path[i].dst != path[i + 1].src)
               throw ValueError(r.source, field, "relations do not chain: '" + path[i].key() + "' ends at node type '" + path[i].dst +
                                                     "' but '" + path[i + 1].key() + "' starts at '" + path[i + 1].src + "'");
           const EdgeType built{path.front().src, "metapath_" + std::to_string(p), path.back().dst};
           if (!r.kernel.generated && !keys.count(built.key()))
             throw LookupError(r.source, "edge_types", field + " builds edge type '" + built.key() +
                                                           "', which is not in edge_types (list the edge types after the metapaths are added)");
           r.c.metapaths.push_back(std::move(path));
         }
       },
       [](const C& c, J& j) {
         if (c.metapaths.empty()) return;
         j["metapaths"] = J::array();
         for (const auto& path : c.metapaths) {
           J p = J::array();
           for (const auto& e : path) p.push_back(e.key());
           j["metapaths"].push_back(p);
         }
       },
       "optional", "optional"},
      metapath_flag("keep_same_node_type", &TokenizerConfig::keep_same_node_type),
      metapath_flag("drop_unconnected_node_types", &TokenizerConfig::drop_unconnected_node_types),
      {"restart_prob", false, walk_refusal,
       [](R& r) {
         const auto& j = r.j;
         if (!j.contains("restart_prob") || !j["restart_prob"].is_number() || !(j["restart_prob"].get<double>() >= 0.0) ||
             !(j["restart_prob"].get<double>() <= 1.0))
           throw FormatError(r.source, "restart_prob", "must be a number in [0, 1], got " + r.got("restart_prob"));
         r.c.restart_prob = j["restart_prob"].get<double>();
       },
       [](const C& c, J& j) { j["restart_prob"] = c.restart_prob; }, "", ""},
      {"walk_length", false, walk_refusal,
       [](R& r) { r.c.walk_length = r.integer("walk_length"); }, [](const C& c, J& j) { j["walk_length"] = c.walk_length; }, "", ""},
      {"top_k", false, walk_refusal,
       [](R& r) {
         r.integer_or_map("top_k", true, r.c.top_k, r.c.top_k_by_type);
         if (!r.kernel.generated) r.check_types("top_k", r.c.top_k_by_type, false);
       },
       [](const C& c, J& j) { j["top_k"] = per_type_json(c.top_k, c.top_k_by_type); }, "int or object", "int or object"},
      {"seed", false, walk_refusal,
       [](R& r) {
         const auto& v = r.j.contains("seed") ? r.j["seed"] : nlohmann::json();
         if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
           throw FormatError(r.source, "seed", "must be a non-negative integer, got " + r.got("seed"));
         r.c.seed = v.get<std::uint64_t>();
       },
       [](const C& c, J& j) { j["seed"] = c.seed; }, "", ""},
      {"content_dim", false, walk_refusal,
       [](R& r) {
         r.integer_or_map("content_dim", !r.kernel.generated, r.c.content_dim, r.c.content_dim_by_type);
         r.check_types("content_dim", r.c.content_dim_by_type, true);
       },
       [](const C& c, J& j) { j["content_dim"] = per_type_json(c.content_dim, c.content_dim_by_type); }, "int or object", "int"},
      // HetGNN's OpenHGNN choices (docs/hetgnn.md): compat first, as the others default to its preset.
      {"compat", false, [](const R&) { return std::string("only hetgnn has an OpenHGNN preset"); },
       [](R& r) {
         r.c.compat = r.string("compat", "");
         if (r.has("compat") && r.c.compat != "openhgnn")
           throw ValueError(r.source, "compat", "unknown preset '" + r.c.compat + "' (openhgnn)");
       },
       [](const C& c, J& j) {
         if (!c.compat.empty()) j["compat"] = c.compat;
       },
       "optional", "optional"},
      hetgnn_choice("empty_neighbors", &C::empty_neighbors, {"drop", "zero"}, "drop", "zero", "optional"),
      hetgnn_choice("content_encoder", &C::content_encoder, {"per_type", "shared"}, "per_type", "shared", "optional"),
      {"attention_bias", false, [](const R&) { return std::string("it is a choice of the hetgnn kernel"); },
       [](R& r) { r.c.attention_bias = r.has("attention_bias") ? r.boolean("attention_bias") : r.c.compat == "openhgnn"; },
       [](const C& c, J& j) {
         if (c.attention_bias != (c.compat == "openhgnn")) j["attention_bias"] = c.attention_bias;
       },
       "optional", "optional"},
      hetgnn_choice("walk", &C::walk, {"hgtok", "openhgnn"}, "hgtok", "openhgnn", "optional", true),
      {"walks_per_node", false, walk_refusal,
       [](R& r) {
         if (r.c.walk == "openhgnn") {
           if (r.has("walks_per_node")) r.c.walks_per_node = r.integer("walks_per_node");
         } else if (r.has("walks_per_node")) {
           throw FormatError(r.source, "walks_per_node", "only the openhgnn walk has several walks per node");
         }
       },
       [](const C& c, J& j) {
         if (c.walk == "openhgnn" && c.walks_per_node != 10) j["walks_per_node"] = c.walks_per_node;
       },
       "optional", "optional"},
  };
  return fields;
}

inline const ConfigField* find_config_field(const std::string& name) {
  for (const auto& f : config_fields())
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace detail

inline nlohmann::json TokenizerConfig::to_json(const std::vector<TokenizerKernel>& kernels) const {
  const TokenizerKernel& k = kernel_info(kernels);
  nlohmann::json j = {{"kernel", kernel}};
  for (const auto& f : detail::config_fields())
    if (f.common || k.takes(f.name)) f.write(*this, j);
  return j;
}

inline TokenizerConfig TokenizerConfig::from_json(const nlohmann::json& j, const std::string& source,
                                                  const std::vector<TokenizerKernel>& kernels) {
  if (!j.is_object()) throw FormatError(source, "", "config must be a JSON object, got " + detail::json_excerpt(j));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "kernel" && !detail::find_config_field(it.key()))
      throw FormatError(source, it.key(), "unknown config key '" + it.key() + "'");
  TokenizerConfig c;
  c.source = source;
  if (!j.contains("kernel")) throw FormatError(source, "kernel", "missing");
  if (!j["kernel"].is_string()) throw FormatError(source, "kernel", "must be a string, got " + detail::json_excerpt(j["kernel"]));
  c.kernel = j["kernel"].get<std::string>();
  const TokenizerKernel& k = find_kernel(c.kernel, source, kernels);
  for (const auto& f : k.fields)
    if (!detail::find_config_field(f))
      throw ValueError(source, "kernel", "kernel " + k.name + " lists config field '" + f + "', which config_fields() lacks");
  detail::ConfigReader r{j, source, k, kernels, c};
  for (const auto& f : detail::config_fields())
    if (!f.common && !k.takes(f.name) && j.contains(f.name))
      throw FormatError(source, f.name, "kernel " + c.kernel + " does not take '" + f.name + "': " + f.refusal(r));
  for (const auto& f : detail::config_fields())
    if (f.common || k.takes(f.name)) f.read(r);
  if (k.check) k.check(c, source);
  return c;
}

}  // namespace hgtok

// The registry defines tokenizer_kernels(), which the defaults above name.
#include "hgtok/tokenizer/kernels.hpp"
