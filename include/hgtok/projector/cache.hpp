// ProjectorCache: generated projectors keyed by type key ("movie",
// "movie__to__director"), each remembered with the embedding it was generated
// from. A lookup with the same key and an equal embedding returns the cached
// projector; a different embedding regenerates it. Thread-safe; entries are
// shared_ptr so clear() never invalidates a projector a caller still holds.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/tensor.hpp"
#include "hgtok/nn/linear.hpp"

namespace hgtok {

template <class T>
class ProjectorCache {
 public:
  using Projector = std::shared_ptr<const nn::Linear<T>>;

  ProjectorCache() = default;
  ProjectorCache(const ProjectorCache& o) { copy_from(o); }
  ProjectorCache& operator=(const ProjectorCache& o) {
    if (this != &o) copy_from(o);
    return *this;
  }

  /// The cached projector for (key, embedding), or make() (called under no lock
  /// held by other keys' users) stored and returned.
  template <class Make>
  Projector get_or_create(const std::string& key, const Vector<T>& embedding, Make&& make) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.embedding.size() == embedding.size() &&
          it->second.embedding == embedding) {
        ++hits_;
        return it->second.projector;
      }
    }
    auto made = std::make_shared<const nn::Linear<T>>(make());
    std::lock_guard<std::mutex> lock(mutex_);
    ++misses_;
    entries_[key] = Entry{embedding, made};
    return made;
  }

  /// The projectors for keys[i] / *embeddings[i], as get_or_create each, but the missing ones made together:
  /// make(missing) gets the positions not in the cache (each key once) and returns their projectors in that
  /// order (called under no lock).
  template <class MakeMany>
  std::vector<Projector> get_or_create_many(const std::vector<std::string>& keys, const std::vector<const Vector<T>*>& embeddings,
                                            MakeMany&& make) {
    std::vector<Projector> out(keys.size());
    std::vector<std::size_t> missing;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        auto it = entries_.find(keys[i]);
        if (it != entries_.end() && it->second.embedding.size() == embeddings[i]->size() && it->second.embedding == *embeddings[i]) {
          ++hits_;
          out[i] = it->second.projector;
        } else {
          bool listed = false;  // a key twice in one call is made once
          for (std::size_t j : missing) listed = listed || keys[j] == keys[i];
          if (!listed) missing.push_back(i);
        }
      }
    }
    if (missing.empty()) return out;
    auto made = make(missing);
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t j = 0; j < missing.size(); ++j) {
      const std::size_t i = missing[j];
      auto projector = std::make_shared<const nn::Linear<T>>(std::move(made[j]));
      ++misses_;
      entries_[keys[i]] = Entry{*embeddings[i], projector};
      for (std::size_t r = i; r < keys.size(); ++r)
        if (!out[r] && keys[r] == keys[i]) out[r] = projector;
    }
    return out;
  }

  /// Drops every cached projector.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
  }
  /// Number of cached projectors.
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  /// Bytes held by the cached weights (with their packed copies), biases and remembered embeddings.
  std::size_t bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t b = 0;
    for (const auto& kv : entries_) {
      const auto& p = *kv.second.projector;
      b += sizeof(T) * static_cast<std::size_t>(p.weight_t().size() + p.bias().size() + kv.second.embedding.size());
      if (p.packed() != nullptr) b += p.packed()->bytes();
    }
    return b;
  }
  /// Lookups answered from the cache / lookups that generated a projector.
  std::size_t hits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return hits_;
  }
  std::size_t misses() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return misses_;
  }

 private:
  struct Entry {
    Vector<T> embedding;
    Projector projector;
  };
  void copy_from(const ProjectorCache& o) {
    std::scoped_lock lock(mutex_, o.mutex_);
    entries_ = o.entries_;
    hits_ = o.hits_;
    misses_ = o.misses_;
  }
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::size_t hits_ = 0, misses_ = 0;
};

}  // namespace hgtok
