// JSON files and fields read with hgtok errors: a file that cannot be opened is an IOError naming it, text that
// is not JSON a FormatError naming the source and the field, a value of the wrong type a FormatError naming the key.
#pragma once

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "hgtok/core/error.hpp"

namespace hgtok::detail {

/// Parses `text` (the value of `field` in `source`).
inline nlohmann::json parse_json(const std::string& text, const std::string& source, const std::string& field) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, field, std::string("not valid JSON: ") + e.what());
  }
}

/// Reads and parses the JSON file at `path`; `field` names what the file holds in a FormatError ("" for the whole).
inline nlohmann::json read_json_file(const std::string& path, const std::string& field = "") {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path, field, "cannot open for reading (missing file?)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_json(text, path, field);
}

/// j[key] as T, or `fallback` when the key is absent or null.
template <class T>
T json_get(const nlohmann::json& j, const char* key, T fallback, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError(source, key, "has the wrong type: " + j[key].dump());
  }
}

}  // namespace hgtok::detail
