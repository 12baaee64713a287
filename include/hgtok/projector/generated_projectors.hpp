// GeneratedProjectors: projectors (linear maps, as in static_projectors.hpp) whose
// projector for a type is generated from the type's embedding by a
// ParameterGenerator (HiGPT's meta_linear.py), once per (type, embedding), and
// cached. Types never seen in training work zero-shot: only their embedding is
// needed. The reference regenerates on every forward call; here a repeated
// call costs one map lookup and an embedding comparison. get_many() generates
// all the types a call lacks in one pass over the generator's weights.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/projector/cache.hpp"
#include "hgtok/projector/parameter_generator.hpp"

namespace hgtok {

template <class T, class Activation = ReluActivation>
class GeneratedProjectors {
 public:
  using Projector = std::shared_ptr<const nn::Linear<T>>;
  using Generator = ParameterGenerator<T, Activation>;

  GeneratedProjectors() = default;
  /// `name` is used in error messages ("kqv_lin").
  explicit GeneratedProjectors(Generator generator, std::string name = "GeneratedProjectors")
      : generator_(std::move(generator)), name_(std::move(name)) {}

  /// Loads the generator "<prefix>.lin_gen.*" of a HiGPT MetaHeteroLinear /
  /// MetaHeteroDictLinear named `prefix` (e.g. "kqv_lin").
  static GeneratedProjectors load(const WeightStore& w, const std::string& prefix, Index m, Index in, Index out) {
    return GeneratedProjectors(Generator::load(w, prefix + ".lin_gen", m, in, out), prefix);
  }
  void save(WeightStore& w, const std::string& prefix) const { generator_.save(w, prefix + ".lin_gen"); }

  /// The projector generated from `embedding` for `key`, from the cache when it
  /// was generated from an equal embedding before. A null embedding throws
  /// LookupError naming the key; a wrong width ShapeError naming it.
  Projector get(const std::string& key, const Vector<T>* embedding) const {
    if (embedding == nullptr) throw LookupError(name_, key, "no type embedding given for this type");
    return cache_.get_or_create(key, *embedding, [&] {
      auto projector = generator_.generate(*embedding, key);
      projector.pack();  // used on every later call: keep it in the GEMM kernel's layout
      return projector;
    });
  }
  /// The projectors of several types at once: those not cached are generated together, in one pass over the
  /// generator's weights (ParameterGenerator::generate_many), each the same bytes as get() would give it.
  std::vector<Projector> get_many(const std::vector<std::string>& keys, const std::vector<const Vector<T>*>& embeddings) const {
    if (embeddings.size() != keys.size())
      throw ShapeError(name_, "embeddings", std::to_string(embeddings.size()) + " embeddings for " + std::to_string(keys.size()) + " keys");
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (embeddings[i] == nullptr) throw LookupError(name_, keys[i], "no type embedding given for this type");
    return cache_.get_or_create_many(keys, embeddings, [&](const std::vector<std::size_t>& missing) {
      std::vector<const Vector<T>*> es;
      std::vector<std::string> ks;
      for (std::size_t i : missing) {
        es.push_back(embeddings[i]);
        ks.push_back(keys[i]);
      }
      auto projectors = generator_.generate_many(es, ks);
      for (auto& projector : projectors) projector.pack();
      return projectors;
    });
  }
  Index in_features(const std::string& = "") const { return generator_.in_features(); }
  Index out_features() const { return generator_.out_features(); }

  const Generator& generator() const { return generator_; }
  Generator& generator() { return generator_; }

  /// Cache control: drop all generated projectors; their number and memory.
  void clear_cache() const { cache_.clear(); }
  std::size_t cache_size() const { return cache_.size(); }
  std::size_t cache_bytes() const { return cache_.bytes(); }
  const ProjectorCache<T>& cache() const { return cache_; }

 private:
  Generator generator_;
  std::string name_ = "GeneratedProjectors";
  mutable ProjectorCache<T> cache_;
};

}  // namespace hgtok
