// Helpers shared by the parity tests: the fixtures written by tests/reference/*.py (outputs of the reference under
// expected/<node type>, settings in the safetensors metadata) and the comparison of a layer's outputs with them.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "hgtok/core/tensor.hpp"
#include "hgtok/io/safetensors.hpp"
#include "hgtok/io/weight_store.hpp"
#include "test_util.hpp"

namespace hgtok_test {

/// The metadata of a safetensors fixture (its settings and the reference library versions).
inline std::map<std::string, std::string> metadata(const std::string& path) {
  return hgtok::SafetensorsFile::open(path).metadata();
}

/// An integer setting from a fixture's metadata.
inline hgtok::Index metadata_int(const std::string& path, const std::string& key) {
  return std::stoll(metadata(path).at(key));
}

/// How many tensors of w are named prefix + something.
inline std::size_t count_prefixed(const hgtok::WeightStore& w, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& name : w.names())
    if (name.rfind(prefix, 0) == 0) ++n;
  return n;
}

/// Largest |out - expected| over every output type; the fixture must hold exactly one expected/<type> per output
/// (under the name `rename` gives, where it gives one) with the output's shape.
template <class T>
double max_error(const hgtok::TypeMatrices<T>& out, const hgtok::WeightStore& w,
                 const std::map<std::string, std::string>& rename = {}) {
  REQUIRE(out.size() == count_prefixed(w, "expected/"));
  double err = 0;
  for (const auto& [type, m] : out) {
    const auto it = rename.find(type);
    const auto& view = w.view("expected/" + (it == rename.end() ? type : it->second));
    REQUIRE(view.shape == hgtok::Shape{m.rows(), m.cols()});
    const auto expected = view.template to_vector<double>();
    for (hgtok::Index i = 0; i < m.size(); ++i)
      err = std::max(err, std::abs(static_cast<double>(m.data()[i]) - expected[static_cast<std::size_t>(i)]));
  }
  return err;
}

}  // namespace hgtok_test
