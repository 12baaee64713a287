// The small pieces every subcommand uses (cli.hpp).
#include <filesystem>
#include <hgtok/core/error.hpp>
#include <hgtok/io/json.hpp>
#include <hgtok/io/read_file.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace hgtok::cli {

std::string default_data_dir() {
  namespace fs = std::filesystem;
  const std::string source = std::string(HGTOK_SOURCE_DIR) + "/examples/data";
  if (fs::exists(source)) return source;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);  // the installed command: <prefix>/bin/hgtok
  return ec ? source : (exe.parent_path() / HGTOK_DATA_FROM_BIN).lexically_normal().string();
}

std::map<std::string, std::vector<std::string>> read_names(const std::string& path, const std::string& option) {
  std::map<std::string, std::vector<std::string>> names;
  if (path.empty()) return names;
  const nlohmann::json j = detail::parse_json(detail::read_file_text(path, option), path, option);
  if (!j.is_object()) throw FormatError(path, option, "expected a JSON object {node type: [name, ...]}");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_array()) throw FormatError(path, it.key(), "expected a list of names, got " + detail::json_excerpt(*it));
    for (const auto& name : *it)
      names[it.key()].push_back(name.is_string() ? name.get<std::string>() : name.dump());
  }
  return names;
}

void require_extension(const std::string& path, const std::string& option, const std::vector<std::string>& extensions) {
  const std::string ext = std::filesystem::path(path).extension().string();
  for (const auto& e : extensions)
    if (ext == e) return;
  throw ValueError(path, option,
                   (ext.empty() ? std::string("has no extension") : "unknown extension '" + ext + "'") + ": " + option +
                       " writes " + join_names(extensions, "or") + " files (a file is never written in a format its name does not say)");
}

std::string join_names(const std::vector<std::string>& names, const std::string& conjunction) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? (names.size() > 2 ? ", " : " ") + conjunction + " " : ", ") + names[i];
  return out;
}

}  // namespace hgtok::cli
