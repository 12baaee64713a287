// Reads a whole file into memory, refusing what is not a regular file (a directory, a FIFO that would block, a
// device such as /dev/zero that never ends) and files above limits().max_file_bytes, before reading a byte.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/limits.hpp"

namespace hgtok::detail {

/// The bytes of the regular file at `path` as a container of char-sized elements (std::string or
/// std::vector<unsigned char>); `field` names what the file holds in errors. IOError when it cannot be opened
/// or is not a regular file, ResourceError when it is larger than limits().max_file_bytes.
template <class Bytes>
Bytes read_regular_file(const std::string& path, const std::string& field = "") {
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting; fstat then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw IOError(path, field, std::string("cannot open for reading: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IOError(path, field, "not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > limits().max_file_bytes) {
    ::close(fd);
    throw ResourceError(path, field, "file has " + std::to_string(size) + " bytes, above max_file_bytes = " +
                                         std::to_string(limits().max_file_bytes));
  }
  Bytes out;
  try {
    out.resize(static_cast<std::size_t>(size));
  } catch (const std::bad_alloc&) {
    ::close(fd);
    throw ResourceError(path, field, "cannot allocate " + std::to_string(size) + " bytes to read it");
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t r = ::read(fd, &out[done], out.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const std::string reason = std::string("read failed: ") + std::strerror(errno);
      ::close(fd);
      throw IOError(path, field, reason);
    }
    if (r == 0) break;  // the file shrank while read: what was read is returned, and its parser checks it
    done += static_cast<std::size_t>(r);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

/// The bytes of a file (see read_regular_file).
inline std::vector<unsigned char> read_file_bytes(const std::string& path, const std::string& field = "") {
  return read_regular_file<std::vector<unsigned char>>(path, field);
}

/// The text of a file (see read_regular_file).
inline std::string read_file_text(const std::string& path, const std::string& field = "") {
  return read_regular_file<std::string>(path, field);
}

}  // namespace hgtok::detail
