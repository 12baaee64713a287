// safetensors reader (memory-mapped, zero copy) and writer.
//
// Format (https://github.com/huggingface/safetensors): 8 bytes little-endian
// u64 N, then N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets:[b,e]},
// "__metadata__": {str: str}}, then the data section; offsets are relative to
// the start of the data section. Every header field is validated before it is
// used: no allocation or pointer is derived from an unchecked value.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/atomic_file.hpp"
#include "hgtok/io/dtype.hpp"
#include "hgtok/io/file_format.hpp"
#include "hgtok/io/json.hpp"
#include "hgtok/io/read_file.hpp"

namespace hgtok {

/// A read-only view of one tensor inside a loaded safetensors file (or any byte buffer).
struct TensorView {
  std::string name;
  Dtype dtype = Dtype::F32;
  Shape shape;
  const unsigned char* data = nullptr;  ///< first byte; may be unaligned
  std::size_t nbytes = 0;
  std::string source;  ///< file the view comes from, for error messages

  /// Number of elements (product of the shape; 1 for a scalar).
  std::int64_t numel() const { return detail::checked_numel(shape, source, name); }

  /// Zero-copy typed pointer. Requires dtype == dtype_of<T>() and an aligned buffer.
  template <class T>
  const T* as() const {
    if (dtype != dtype_of<T>())
      throw ShapeError(source, name, std::string("dtype is ") + dtype_name(dtype) + ", expected " +
                                         dtype_name(dtype_of<T>()));
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0)
      throw FormatError(source, name, "data is not aligned to " + std::to_string(alignof(T)) + " bytes");
    return reinterpret_cast<const T*>(data);
  }

  /// Copies the elements into a vector<T>, converting from any numeric dtype
  /// (F16/BF16 only when convert_half is true).
  template <class T>
  std::vector<T> to_vector(bool convert_half = true) const {
    std::vector<T> out(nbytes / dtype_size(dtype));
    detail::convert_elements(data, dtype, out.size(), out.data(), convert_half, source, name);
    return out;
  }
};

namespace detail {

/// Owns a read-only memory mapping of a whole file (or a heap buffer).
class MappedBytes {
 public:
  static std::shared_ptr<MappedBytes> map_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block: fstat refuses it
    if (fd < 0) throw IOError(path, "", std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw IOError(path, "", "not a regular file");
    }
    auto m = std::shared_ptr<MappedBytes>(new MappedBytes());
    m->size_ = static_cast<std::size_t>(st.st_size);
    if (m->size_ > 0) {
      void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw IOError(path, "", std::string("cannot mmap: ") + std::strerror(errno));
      }
      m->data_ = static_cast<const unsigned char*>(p);
      m->mapped_ = true;
    }
    ::close(fd);
    return m;
  }
  static std::shared_ptr<MappedBytes> from_buffer(std::vector<unsigned char> bytes) {
    auto m = std::shared_ptr<MappedBytes>(new MappedBytes());
    m->buffer_ = std::move(bytes);
    m->data_ = m->buffer_.data();
    m->size_ = m->buffer_.size();
    return m;
  }
  ~MappedBytes() {
    if (mapped_) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  MappedBytes(const MappedBytes&) = delete;
  MappedBytes& operator=(const MappedBytes&) = delete;
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  /// Hands the pages lying wholly inside [p, p + n) back to the kernel: they leave the process's resident set
  /// but stay in the page cache and fault back in, unchanged, on the next read (the mapping is read-only and
  /// private, so no page was ever written). A no-op for heap buffers, whose pages would be lost.
  void release(const unsigned char* p, std::size_t n) const {
    if (!mapped_ || n == 0 || p < data_ || p + n > data_ + size_) return;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    if (page == 0) return;
    const auto begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
    const auto end = (reinterpret_cast<std::uintptr_t>(p) + n) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }

 private:
  MappedBytes() = default;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  std::vector<unsigned char> buffer_;
};

/// One tensor of a safetensors file being laid out: name, dtype, shape and byte count.
struct SafetensorsSlot {
  const std::string* name;
  Dtype dtype;
  const Shape* shape;
  std::uint64_t nbytes;
};

/// The header of a safetensors file (8-byte little-endian length, then the JSON padded with spaces to a
/// multiple of 8 bytes, so the data section starts 8-aligned) and the order the tensors' bytes follow it in:
/// wider dtypes first, then by name, so every tensor starts aligned to its element size.
inline std::vector<std::size_t> safetensors_layout(const std::vector<SafetensorsSlot>& slots,
                                                   const std::map<std::string, std::string>& metadata, std::string& head) {
  std::vector<std::size_t> order(slots.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto sa = dtype_size(slots[a].dtype), sb = dtype_size(slots[b].dtype);
    return sa != sb ? sa > sb : *slots[a].name < *slots[b].name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (auto i : order) {
    const auto& e = slots[i];
    header[*e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", *e.shape}, {"data_offsets", {offset, offset + e.nbytes}}};
    offset += e.nbytes;
  }
  std::string json = header.dump();
  while ((json.size() + 8) % 8 != 0) json.push_back(' ');
  head.resize(8);
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) head[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  head += json;
  return order;
}

/// Bytes a tensor of `shape` and `dtype` takes; ShapeError (naming `source` and `name`) on a negative dimension
/// or an overflow.
inline std::uint64_t tensor_nbytes(const Shape& shape, Dtype dtype, const std::string& source, const std::string& name) {
  return static_cast<std::uint64_t>(checked_nbytes(shape, dtype_size(dtype), source, name));
}

}  // namespace detail

/// A safetensors file assembled in place, for outputs too large to copy: one page-aligned, zero-filled buffer
/// holds the header and every tensor's bytes. The caller fills each tensor through data<T>(name), then save()
/// writes the buffer as it is, with no further copy: through O_DIRECT where the file system takes it (the
/// kernel reads the pages straight from this buffer, and gigabytes of shards do not pass through the page
/// cache, whose copy costs more CPU time than tokenizing on a small machine), else with ordinary writes.
/// For the same tensors and metadata the bytes equal SafetensorsWriter's.
class SafetensorsImage {
 public:
  struct Tensor {
    std::string name;
    Dtype dtype;
    Shape shape;
  };
  /// Alignment of the buffer and of direct writes (a multiple of every block size in use).
  static constexpr std::size_t kAlign = 4096;

  explicit SafetensorsImage(std::vector<Tensor> tensors, std::map<std::string, std::string> metadata = {})
      : SafetensorsImage(std::move(tensors), std::move(metadata), nullptr) {}

  /// The same, in `storage`'s buffer when that is large enough (then zeroed here), else in a new one; `storage` is
  /// left empty. For a writer of many files of similar size one after another (tokenize_batch's shards), so the
  /// kernel's page faults on a fresh buffer, which cost more than filling it, are paid once.
  SafetensorsImage(std::vector<Tensor> tensors, std::map<std::string, std::string> metadata, SafetensorsImage&& storage)
      : SafetensorsImage(std::move(tensors), std::move(metadata), &storage) {}

  /// The bytes of tensor `name`, to fill; ValueError for a name not given, ShapeError for another dtype.
  template <class T>
  T* data(const std::string& name) {
    unsigned char* p = raw(name);
    const auto& t = tensors_[index_.at(name)];
    if (t.dtype != dtype_of<T>())
      throw ShapeError("SafetensorsImage", name, std::string("dtype is ") + dtype_name(t.dtype) + ", asked for " + dtype_name(dtype_of<T>()));
    return reinterpret_cast<T*>(p);
  }

  /// The raw bytes of tensor `name`, whatever its dtype; ValueError for a name not given.
  unsigned char* raw(const std::string& name) {
    const auto it = index_.find(name);
    if (it == index_.end() || !buffer_) throw ValueError("SafetensorsImage", name, "no such tensor");
    return buffer_.get() + offsets_[it->second];
  }

  /// The whole file.
  const unsigned char* bytes() const { return buffer_.get(); }
  std::size_t size() const { return size_; }

  /// Writes the file atomically (temporary file, then rename). `direct` (the default) asks for direct I/O, which
  /// the file system may refuse (then ordinary writes follow); false writes through the page cache, which is
  /// faster when the file is read again soon.
  void save(const std::string& path, bool direct = true) const {
    if (!buffer_) throw ValueError(path, "", "SafetensorsImage is empty (moved from, or given as another image's storage)");
    const std::string tmp = path + ".tmp";
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    int fd = -1;
#ifdef O_DIRECT
    if (direct) {
      fd = ::open(tmp.c_str(), flags | O_DIRECT, 0666);
      if (fd < 0 && errno != EINVAL) direct = false;  // EINVAL: no direct I/O here; else let the open below report
    }
#else
    direct = false;
#endif
    if (fd < 0) {
      direct = false;
      fd = ::open(tmp.c_str(), flags, 0666);
    }
    if (fd < 0) throw IOError(path, "", "cannot open for writing: " + std::string(std::strerror(errno)));
    const auto fail = [&](const std::string& what) {
      const std::string reason = what + ": " + std::strerror(errno);
      ::close(fd);
      std::remove(tmp.c_str());
      throw IOError(path, "", reason);
    };
    const auto buffered = [&] {  // the tail past the last whole block, or a file system that refuses direct writes
      direct = false;
#ifdef O_DIRECT
      const int f = ::fcntl(fd, F_GETFL);
      if (f < 0 || ::fcntl(fd, F_SETFL, f & ~O_DIRECT) != 0) fail("cannot leave direct I/O");
#endif
    };
    std::size_t done = 0;
    while (done < size_) {
      if (direct && size_ - done < kAlign) buffered();
      std::size_t want = size_ - done;
      if (direct) want = want / kAlign * kAlign;
      const ssize_t w = ::write(fd, buffer_.get() + done, std::min<std::size_t>(want, std::size_t(1) << 30));
      if (w < 0) {
        if (errno == EINTR) continue;
        if (direct && errno == EINVAL) {  // direct I/O opened but refused
          buffered();
          continue;
        }
        fail("write failed after " + std::to_string(done) + " of " + std::to_string(size_) + " bytes");
      }
      if (w == 0) {
        errno = EIO;
        fail("short write after " + std::to_string(done) + " of " + std::to_string(size_) + " bytes");
      }
      done += static_cast<std::size_t>(w);
      if (direct && done % kAlign != 0) buffered();  // a partial block: the rest cannot be direct
    }
    if (::close(fd) != 0) {
      const std::string reason = std::string("close failed: ") + std::strerror(errno);
      std::remove(tmp.c_str());
      throw IOError(path, "", reason);
    }
    detail::replace_with_temporary(tmp, path);
  }

 private:
  struct Unmap {
    std::size_t capacity;
    void operator()(unsigned char* p) const { ::munmap(p, capacity); }
  };

  SafetensorsImage(std::vector<Tensor> tensors, std::map<std::string, std::string> metadata, SafetensorsImage* storage)
      : tensors_(std::move(tensors)) {
    std::vector<detail::SafetensorsSlot> slots;
    for (const auto& t : tensors_) {
      if (t.name == "__metadata__" || index_.count(t.name))
        throw ValueError("SafetensorsImage", t.name, "tensor name is reserved or given twice");
      index_[t.name] = slots.size();
      slots.push_back({&t.name, t.dtype, &t.shape, detail::tensor_nbytes(t.shape, t.dtype, "SafetensorsImage", t.name)});
    }
    std::string head;
    const auto order = detail::safetensors_layout(slots, metadata, head);
    offsets_.resize(slots.size());
    std::uint64_t at = head.size();
    for (auto i : order) {
      offsets_[i] = at;
      at += slots[i].nbytes;
    }
    size_ = static_cast<std::size_t>(at);
    const std::size_t capacity = (std::max<std::size_t>(size_, 1) + kAlign - 1) / kAlign * kAlign;
    if (storage && storage->buffer_ && storage->buffer_.get_deleter().capacity >= capacity) {
      buffer_ = std::move(storage->buffer_);
      std::memset(buffer_.get(), 0, size_);
    } else {
      if (storage) storage->buffer_.reset();  // unmapped before the new mapping: never both in memory
      void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);  // zero-filled
      if (p == MAP_FAILED)
        throw IOError("SafetensorsImage", "", "cannot allocate " + std::to_string(capacity) + " bytes: " + std::strerror(errno));
      buffer_ = std::unique_ptr<unsigned char, Unmap>(static_cast<unsigned char*>(p), Unmap{capacity});
    }
    if (storage) {  // an empty image: no tensors, and save() refuses it
      storage->tensors_.clear();
      storage->index_.clear();
      storage->offsets_.clear();
      storage->size_ = 0;
    }
    std::memcpy(buffer_.get(), head.data(), head.size());
  }
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::uint64_t> offsets_;
  std::size_t size_ = 0;
  std::unique_ptr<unsigned char, Unmap> buffer_{nullptr, Unmap{0}};
};

/// A safetensors file, memory-mapped; tensors are views into the mapping and
/// stay valid while this object (or a copy of it) lives.
class SafetensorsFile {
 public:
  /// Largest accepted JSON header, as in the reference implementation.
  static constexpr std::uint64_t kMaxHeaderBytes = 100000000;

  /// Maps and validates `path`. Throws IOError / FormatError / ShapeError.
  static SafetensorsFile open(const std::string& path) { return SafetensorsFile(detail::MappedBytes::map_file(path), path); }

  /// Validates an in-memory buffer; `source` names it in errors.
  static SafetensorsFile from_bytes(std::vector<unsigned char> bytes, const std::string& source = "<memory>") {
    return SafetensorsFile(detail::MappedBytes::from_buffer(std::move(bytes)), source);
  }

  const std::string& path() const { return source_; }
  /// Tensor names in data order (ascending offsets).
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  std::size_t size() const { return views_.size(); }
  /// The `__metadata__` map (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// The tensor named `name`; throws LookupError naming the file and tensor.
  const TensorView& at(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) throw LookupError(source_, name, "no such tensor in the file");
    return views_[it->second];
  }
  const std::vector<TensorView>& tensors() const { return views_; }

  /// The whole mapped file (or buffer): every TensorView::data points inside [bytes(), bytes() + byte_size()).
  const unsigned char* bytes() const { return bytes_->data(); }
  std::size_t byte_size() const { return bytes_->size(); }
  /// Drops the resident pages of [p, p + n) of a memory-mapped file (see detail::MappedBytes::release): a
  /// loader that has copied a tensor calls it so that the file and the copies are never resident together.
  /// Reading those bytes again is still valid. A no-op for in-memory buffers.
  void release(const unsigned char* p, std::size_t n) const { bytes_->release(p, n); }

 private:
  SafetensorsFile(std::shared_ptr<detail::MappedBytes> bytes, std::string source)
      : bytes_(std::move(bytes)), source_(std::move(source)) {
    parse();
  }

  void parse() {
    const std::size_t size = bytes_->size();
    const unsigned char* base = bytes_->data();
    if (size < 8)
      throw FormatError(source_, "header_length", "file has " + std::to_string(size) + " bytes, fewer than the 8-byte header length" +
                                                      detail::file_format_hint(base, size, FileFormat::Safetensors));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | base[i];
    if (n > size - 8)
      throw FormatError(source_, "header_length",
                        "header length " + std::to_string(n) + " is beyond the file (" + std::to_string(size - 8) + " bytes after it)" +
                            detail::file_format_hint(base, size, FileFormat::Safetensors));
    // The reference implementation refuses headers above 100 MB; so does hgtok
    // (the JSON parser's memory is proportional to the header).
    if (n > kMaxHeaderBytes)
      throw FormatError(source_, "header_length",
                        "header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
    const std::size_t data_size = size - 8 - static_cast<std::size_t>(n);
    const unsigned char* data = base + 8 + n;
    nlohmann::json header;
    try {
      header = detail::parse_json(base + 8, base + 8 + n, source_, "header");
    } catch (const FormatError& e) {
      throw FormatError(source_, "header", "header is " + e.reason() + detail::file_format_hint(base, size, FileFormat::Safetensors));
    }
    if (!header.is_object()) throw FormatError(source_, "header", "header is not a JSON object");

    struct Entry {
      std::uint64_t begin, end;
      std::size_t view;
    };
    std::vector<Entry> entries;
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      if (name == "__metadata__") {
        if (!it->is_object()) throw FormatError(source_, "__metadata__", "is not an object of strings");
        for (auto m = it->begin(); m != it->end(); ++m) {
          if (!m->is_string()) throw FormatError(source_, "__metadata__." + m.key(), "value is not a string");
          metadata_[m.key()] = m->get<std::string>();
        }
        continue;
      }
      const auto& t = *it;
      if (!t.is_object()) throw FormatError(source_, name, "tensor entry is not an object");
      if (!t.contains("dtype") || !t["dtype"].is_string())
        throw FormatError(source_, name + ".dtype", "missing or not a string");
      TensorView v;
      v.name = name;
      v.source = source_;
      v.dtype = parse_dtype(t["dtype"].get<std::string>(), source_, name + ".dtype");
      if (!t.contains("shape") || !t["shape"].is_array())
        throw FormatError(source_, name + ".shape", "missing or not an array");
      for (const auto& d : t["shape"]) {
        if (!d.is_number_unsigned())
          throw FormatError(source_, name + ".shape", "dimension " + detail::json_excerpt(d) + " is not a non-negative integer");
        const std::uint64_t dim = d.get<std::uint64_t>();
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw ShapeError(source_, name + ".shape", "dimension " + std::to_string(dim) + " overflows int64");
        v.shape.push_back(static_cast<std::int64_t>(dim));
      }
      const auto nbytes = static_cast<std::uint64_t>(detail::checked_nbytes(v.shape, dtype_size(v.dtype), source_, name + ".shape"));
      if (!t.contains("data_offsets") || !t["data_offsets"].is_array() || t["data_offsets"].size() != 2 ||
          !t["data_offsets"][0].is_number_unsigned() || !t["data_offsets"][1].is_number_unsigned())
        throw FormatError(source_, name + ".data_offsets", "must be two non-negative integers, got " +
                                                               (t.contains("data_offsets") ? detail::json_excerpt(t["data_offsets"]) : "nothing"));
      const std::uint64_t b = t["data_offsets"][0].get<std::uint64_t>();
      const std::uint64_t e = t["data_offsets"][1].get<std::uint64_t>();
      if (b > e)
        throw FormatError(source_, name + ".data_offsets",
                          "reversed: begin " + std::to_string(b) + " > end " + std::to_string(e));
      if (e > data_size)
        throw FormatError(source_, name + ".data_offsets",
                          "end " + std::to_string(e) + " is past the data section (" + std::to_string(data_size) + " bytes)");
      if (e - b != nbytes)
        throw ShapeError(source_, name,
                         std::string("dtype ") + dtype_name(v.dtype) + " x shape " + detail::shape_str(v.shape) + " needs " +
                             std::to_string(nbytes) + " bytes, data_offsets give " + std::to_string(e - b));
      v.data = data + b;
      v.nbytes = static_cast<std::size_t>(nbytes);
      entries.push_back({b, e, views_.size()});
      views_.push_back(std::move(v));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& x, const Entry& y) { return x.begin != y.begin ? x.begin < y.begin : x.end < y.end; });
    for (std::size_t i = 1; i < entries.size(); ++i)
      if (entries[i].begin < entries[i - 1].end)
        throw FormatError(source_, views_[entries[i].view].name + ".data_offsets",
                          "overlaps tensor '" + views_[entries[i - 1].view].name + "' (begin " +
                              std::to_string(entries[i].begin) + " < its end " + std::to_string(entries[i - 1].end) + ")");
    std::vector<TensorView> ordered;
    ordered.reserve(views_.size());
    for (const auto& e : entries) ordered.push_back(std::move(views_[e.view]));
    views_ = std::move(ordered);
    for (std::size_t i = 0; i < views_.size(); ++i) {
      names_.push_back(views_[i].name);
      index_[views_[i].name] = i;
    }
  }

  std::shared_ptr<detail::MappedBytes> bytes_;
  std::string source_;
  std::vector<TensorView> views_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// Collects named tensors and writes them as one safetensors file. Tensors are
/// laid out by descending element size so every one is aligned, with no holes.
class SafetensorsWriter {
 public:
  /// Adds a tensor by copying `nbytes` raw little-endian bytes.
  void add_raw(const std::string& name, Dtype dtype, const Shape& shape, const void* bytes, std::size_t nbytes) {
    const std::uint64_t needed = detail::tensor_nbytes(shape, dtype, "SafetensorsWriter", name);
    if (needed != nbytes)
      throw ShapeError("SafetensorsWriter", name,
                       "shape " + detail::shape_str(shape) + " needs " + std::to_string(needed) + " bytes, got " +
                           std::to_string(nbytes));
    if (name == "__metadata__" || index_.count(name))
      throw ValueError("SafetensorsWriter", name, "tensor name is reserved or already added");
    const auto* p = static_cast<const unsigned char*>(bytes);
    index_[name] = entries_.size();
    entries_.push_back({name, dtype, shape, std::vector<unsigned char>(p, p + nbytes)});
  }

  /// Adds a typed tensor of the given shape.
  template <class T>
  void add(const std::string& name, const Shape& shape, const T* data) {
    add_raw(name, dtype_of<T>(), shape, data, static_cast<std::size_t>(detail::checked_nbytes(shape, sizeof(T), "SafetensorsWriter", name)));
  }

  /// Adds a row-major matrix as a 2-d tensor [rows, cols].
  template <class T>
  void add(const std::string& name, const Matrix<T>& m) {
    add(name, Shape{static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())}, m.data());
  }

  /// Adds a vector as a 1-d tensor [n].
  template <class T>
  void add(const std::string& name, const std::vector<T>& v) {
    add(name, Shape{static_cast<std::int64_t>(v.size())}, v.data());
  }

  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  std::size_t size() const { return entries_.size(); }

  /// The complete file as bytes.
  std::vector<unsigned char> to_bytes() const {
    std::string head;
    auto order = layout(head);
    std::vector<unsigned char> out(head.begin(), head.end());
    for (auto i : order) out.insert(out.end(), entries_[i].bytes.begin(), entries_[i].bytes.end());
    return out;
  }

  /// Writes the file atomically (temporary file, then rename).
  void save(const std::string& path) const {
    std::string head;
    auto order = layout(head);
    std::vector<std::pair<const unsigned char*, std::size_t>> chunks;
    for (auto i : order) chunks.emplace_back(entries_[i].bytes.data(), entries_[i].bytes.size());
    detail::write_file_atomic(path, head, chunks);
  }

 private:
  struct Entry {
    std::string name;
    Dtype dtype;
    Shape shape;
    std::vector<unsigned char> bytes;
  };

  std::vector<std::size_t> layout(std::string& head) const {
    std::vector<detail::SafetensorsSlot> slots;
    for (const auto& e : entries_) slots.push_back({&e.name, e.dtype, &e.shape, e.bytes.size()});
    return detail::safetensors_layout(slots, metadata_, head);
  }

  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace hgtok
