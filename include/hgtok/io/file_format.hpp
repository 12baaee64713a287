// What a file looks like, from its first bytes: for the error a reader gives when handed a file of another format
// ("... it looks like a torch.save checkpoint: ..."), so the message says what the file is and what to use instead.
//
// Recognised (magic bytes):
//   empty          0 bytes
//   npy            \x93NUMPY
//   npz            a zip whose first member ends in .npy            (numpy.savez)
//   torch.save     a zip whose first member is <name>/data.pkl      (torch.save since PyTorch 1.6)
//   zip            any other zip (PK\x03\x04)
//   pickle         \x80 then protocol 2..5                           (pickle.dump, torch.save before 1.6)
//   HDF5           \x89HDF\r\n\x1a\n
//   safetensors    8-byte little-endian header length, then '{'
//   JSON           '{' or '[' after optional white space
// Anything else is "unknown" and gets no hint.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace hgtok {

enum class FileFormat { Unknown, Empty, Npy, Npz, TorchSave, Zip, Pickle, HDF5, Safetensors, JSON };

/// A short name of `f` as messages print it.
inline const char* file_format_name(FileFormat f) {
  switch (f) {
    case FileFormat::Empty: return "an empty file";
    case FileFormat::Npy: return "a NumPy .npy array";
    case FileFormat::Npz: return "a NumPy .npz archive (numpy.savez)";
    case FileFormat::TorchSave: return "a torch.save file (a zip holding data.pkl)";
    case FileFormat::Zip: return "a zip archive";
    case FileFormat::Pickle: return "a Python pickle (pickle.dump, or torch.save before PyTorch 1.6)";
    case FileFormat::HDF5: return "an HDF5 file";
    case FileFormat::Safetensors: return "a safetensors file";
    case FileFormat::JSON: return "a JSON document";
    case FileFormat::Unknown: break;
  }
  return "an unrecognised format";
}

/// The format of the `n` bytes at `p` (the start of a file; 64 bytes are enough for every rule above).
inline FileFormat sniff_file_format(const unsigned char* p, std::size_t n) {
  if (n == 0) return FileFormat::Empty;
  if (n >= 6 && std::memcmp(p, "\x93NUMPY", 6) == 0) return FileFormat::Npy;
  if (n >= 8 && std::memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0) return FileFormat::HDF5;
  if (n >= 4 && std::memcmp(p, "PK\x03\x04", 4) == 0) {
    // Local file header: the name's length at offset 26 (u16 LE), the name at offset 30.
    if (n < 30) return FileFormat::Zip;
    const std::size_t len = static_cast<std::size_t>(p[26]) | (static_cast<std::size_t>(p[27]) << 8);
    const std::string name(reinterpret_cast<const char*>(p) + 30, std::min(len, n - 30));
    auto ends_with = [&](const char* s) {
      const std::size_t k = std::strlen(s);
      return name.size() == len && name.size() >= k && name.compare(name.size() - k, k, s) == 0;
    };
    if (ends_with("/data.pkl")) return FileFormat::TorchSave;
    if (ends_with(".npy")) return FileFormat::Npz;
    return FileFormat::Zip;
  }
  if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5) return FileFormat::Pickle;
  if (n >= 9) {
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | p[i];
    if (len >= 2 && p[8] == '{') return FileFormat::Safetensors;
  }
  std::size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) ++i;
  if (i < n && (p[i] == '{' || p[i] == '[')) return FileFormat::JSON;
  return FileFormat::Unknown;
}

/// What to use instead of a file of format `f` where hgtok expected `expected` (a FileFormat it reads);
/// "" when there is no advice (Unknown, or `f` is what was expected).
inline std::string file_format_advice(FileFormat f, FileFormat expected) {
  if (f == expected) return "";
  switch (f) {
    case FileFormat::Empty: return "0 bytes: was it written completely?";
    case FileFormat::Npy:
      return expected == FileFormat::Safetensors ? "hgtok reads .npy with its npy readers (`hgtok inspect` reads tokens.npy)"
                                                 : "";
    case FileFormat::Npz:
      return "hgtok reads safetensors and single .npy arrays, not .npz archives: save the arrays with "
             "safetensors.numpy.save_file, or a PyG HeteroData with tools/export_pyg.py";
    case FileFormat::TorchSave:
    case FileFormat::Pickle:
      return "hgtok does not unpickle: export a PyG HeteroData with tools/export_pyg.py, convert a model checkpoint "
             "with tools/convert_checkpoint.py";
    case FileFormat::Zip: return "hgtok does not read zip archives: extract the file inside";
    case FileFormat::HDF5: return "hgtok does not read HDF5: write the arrays with safetensors.numpy.save_file";
    case FileFormat::Safetensors:
      return "read it with a safetensors reader (a tokens file: GraphTokens::load_safetensors, or `hgtok inspect`)";
    case FileFormat::JSON: return "a JSON file holds no tensors (a tokenizer's config.json: pass its directory)";
    case FileFormat::Unknown: break;
  }
  return "";
}

namespace detail {

/// " (it looks like <format>: <advice>)" for an error message, or "" when the bytes are of an unknown format or
/// of the expected one.
inline std::string file_format_hint(const unsigned char* p, std::size_t n, FileFormat expected) {
  const FileFormat f = sniff_file_format(p, n);
  if (f == FileFormat::Unknown || f == expected) return "";
  const std::string advice = file_format_advice(f, expected);
  return std::string(" (it looks like ") + file_format_name(f) + (advice.empty() ? "" : ": " + advice) + ")";
}

}  // namespace detail
}  // namespace hgtok
