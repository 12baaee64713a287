// StaticProjectors: one learned projector per type, as PyG's HeteroDictLinear
// (HGTConv's kqv_lin and out_lin). A projector is a linear map y = x·W + b
// (nn::Linear, W stored in×out) applied to every node of one type. get() takes
// an embedding pointer, which is ignored, so that the call reads as it does on
// GeneratedProjectors (generated_projectors.hpp), whose projectors are generated
// from type embeddings for the Meta kernels.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/linear.hpp"

namespace hgtok {

template <class T>
class StaticProjectors {
 public:
  using Projector = std::shared_ptr<const nn::Linear<T>>;

  StaticProjectors() = default;
  /// `name` is used in error messages ("kqv_lin").
  explicit StaticProjectors(std::string name) : name_(std::move(name)) {}

  /// Loads PyG HeteroDictLinear weights "<prefix>.lins.<key>.weight" [out, in_k]
  /// and ".bias" [out] for each key with its input width.
  static StaticProjectors load(const WeightStore& w, const std::string& prefix, const std::map<std::string, Index>& in,
                               Index out, bool bias = true) {
    StaticProjectors s(prefix);
    for (const auto& [key, in_k] : in) s.add(key, nn::Linear<T>::load(w, prefix + ".lins." + key, in_k, out, bias));
    return s;
  }
  /// Writes "<prefix>.lins.<key>.{weight,bias}".
  void save(WeightStore& w, const std::string& prefix) const {
    for (const auto& [key, p] : projectors_) p->save(w, prefix + ".lins." + key);
  }

  /// Adds (or replaces) the projector of `key`.
  void add(const std::string& key, nn::Linear<T> projector) {
    if (!projectors_.empty() && projector.out_features() != out_features())
      throw ShapeError(name_, key,
                       "projector width " + std::to_string(projector.out_features()) + ", others have " +
                           std::to_string(out_features()));
    projectors_[key] = std::make_shared<const nn::Linear<T>>(std::move(projector));
  }
  bool contains(const std::string& key) const { return projectors_.count(key) != 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& kv : projectors_) k.push_back(kv.first);
    return k;
  }

  /// The projector of `key` (the embedding is ignored); LookupError naming the key when absent.
  Projector get(const std::string& key, const Vector<T>* embedding = nullptr) const {
    (void)embedding;
    auto it = projectors_.find(key);
    if (it == projectors_.end()) throw LookupError(name_, key, "no projector for this type");
    return it->second;
  }
  Index in_features(const std::string& key) const { return get(key)->in_features(); }
  Index out_features() const { return projectors_.empty() ? 0 : projectors_.begin()->second->out_features(); }

 private:
  std::string name_ = "StaticProjectors";
  std::map<std::string, Projector> projectors_;
};

}  // namespace hgtok
