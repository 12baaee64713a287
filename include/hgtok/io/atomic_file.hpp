// Writes a file atomically: the bytes go to `path`.tmp, which is renamed over `path` once complete, so a reader
// sees the old file or the new one, never a partial write. On failure the temporary file is removed.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"

namespace hgtok::detail {

/// Renames the complete temporary file `tmp` over `path` (an atomic replace); on failure removes `tmp` and throws an
/// IOError naming `path`. The last step of every atomic write, also of the ones that stream their bytes.
inline void replace_with_temporary(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::string("cannot rename temporary file: ") + std::strerror(errno);
    std::remove(tmp.c_str());
    throw IOError(path, "", reason);
  }
}

/// Writes `head` and then each chunk (pointer, byte count) to `path` atomically; IOError naming `path` on failure.
inline void write_file_atomic(const std::string& path, const std::string& head,
                              const std::vector<std::pair<const unsigned char*, std::size_t>>& chunks = {}) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IOError(path, "", "cannot open for writing");
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    for (const auto& [p, n] : chunks) out.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw IOError(path, "", "short write");
    }
  }
  replace_with_temporary(tmp, path);
}

}  // namespace hgtok::detail
