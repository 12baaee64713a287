// JSON files and fields read with hgtok errors: a file that cannot be opened is an IOError naming it, text that
// is not JSON a FormatError naming the source and the field, a value of the wrong type a FormatError naming the key.
// Parsing refuses nesting deeper than limits().max_json_depth (a ResourceError) while it reads, so no hostile text
// can exhaust the stack of a recursive consumer (nlohmann's dump() recurses), and values quoted in messages go
// through json_excerpt, which bounds their length.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hgtok/core/error.hpp"
#include "hgtok/core/limits.hpp"
#include "hgtok/io/read_file.hpp"

namespace hgtok::detail {

/// Parses the JSON text [first, last) (the value of `field` in `source`), nesting at most limits().max_json_depth.
template <class Iterator>
nlohmann::json parse_json(Iterator first, Iterator last, const std::string& source, const std::string& field) {
  const int max_depth = limits().max_json_depth;
  // The callback sees each value as it is parsed, with its depth; refusing there stops before the next level.
  const auto depth_limit = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > max_depth)
      throw ResourceError(source, field, "JSON nests deeper than max_json_depth = " + std::to_string(max_depth));
    return true;
  };
  try {
    return nlohmann::json::parse(first, last, depth_limit);
  } catch (const nlohmann::json::exception& e) {
    std::string reason = e.what();  // quotes the last token read, which can be the whole input: cut it
    if (reason.size() > 200) reason = reason.substr(0, 200) + "...";
    throw FormatError(source, field, "not valid JSON: " + reason);
  }
}

/// Parses `text` (the value of `field` in `source`).
inline nlohmann::json parse_json(const std::string& text, const std::string& source, const std::string& field) {
  return parse_json(text.begin(), text.end(), source, field);
}

/// Reads and parses the JSON file at `path`; `field` names what the file holds in a FormatError ("" for the whole).
inline nlohmann::json read_json_file(const std::string& path, const std::string& field = "") {
  return parse_json(read_file_text(path, field), path, field);
}

/// `j` as compact JSON for an error message, cut to `max_chars` (then ending in "..."). Values hgtok parsed are at
/// most limits().max_json_depth deep, so dumping them is safe; the cut keeps a megabyte array out of a message.
inline std::string json_excerpt(const nlohmann::json& j, std::size_t max_chars = 80) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

/// j[key] as T, or `fallback` when the key is absent or null.
template <class T>
T json_get(const nlohmann::json& j, const char* key, T fallback, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError(source, key, "has the wrong type: " + json_excerpt(j[key]));
  }
}

}  // namespace hgtok::detail
