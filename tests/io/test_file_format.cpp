// io/file_format.hpp: what a file looks like, and the readers' errors that say so.
#include <hgtok/hgtok.hpp>

#include "../test_util.hpp"

namespace test_file_format {

using namespace hgtok;
using hgtok_test::tests_path;

std::vector<unsigned char> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

/// A zip's local file header whose first member is `name` (the fields the sniffer reads; the rest zero).
std::vector<unsigned char> zip_with(const std::string& name) {
  std::vector<unsigned char> b{'P', 'K', 3, 4};
  b.resize(30, 0);
  b[26] = static_cast<unsigned char>(name.size());
  b.insert(b.end(), name.begin(), name.end());
  b.resize(b.size() + 40, 0);
  return b;
}

FileFormat sniff(const std::vector<unsigned char>& b) { return sniff_file_format(b.data(), b.size()); }

TEST_CASE("file_format: each format is recognised from its first bytes") {
  CHECK(sniff({}) == FileFormat::Empty);
  CHECK(sniff(bytes_of(std::string("\x93NUMPY\x01\x00", 8))) == FileFormat::Npy);
  CHECK(sniff(zip_with("x.npy")) == FileFormat::Npz);
  CHECK(sniff(zip_with("archive/data.pkl")) == FileFormat::TorchSave);
  CHECK(sniff(zip_with("readme.txt")) == FileFormat::Zip);
  CHECK(sniff({0x80, 0x02, 0x8a, 0x0a}) == FileFormat::Pickle);
  CHECK(sniff({0x80, 0x05, 0x95}) == FileFormat::Pickle);
  CHECK(sniff(bytes_of(std::string("\x89HDF\r\n\x1a\n", 8))) == FileFormat::HDF5);
  CHECK(sniff(bytes_of("  \n{\"kernel\": \"hgt\"}")) == FileFormat::JSON);
  CHECK(sniff(bytes_of("[1, 2]")) == FileFormat::JSON);
  CHECK(sniff(bytes_of(std::string("\x02\0\0\0\0\0\0\0{}", 10))) == FileFormat::Safetensors);
  CHECK(sniff(bytes_of("hello world, plain text")) == FileFormat::Unknown);
  CHECK(sniff({0x80}) == FileFormat::Unknown);  // too short for pickle's protocol byte
  CHECK(sniff({0x80, 0x09}) == FileFormat::Unknown);
}

TEST_CASE("file_format: real files written by numpy.savez and torch.save") {
  const auto npz = detail::read_file_bytes(tests_path("fixtures/cli_graph.npz"));
  const auto pt = detail::read_file_bytes(tests_path("fixtures/cli_graph.pt"));
  const auto st = detail::read_file_bytes(tests_path("fixtures/cli_graph.safetensors"));
  CHECK(sniff(npz) == FileFormat::Npz);
  CHECK(sniff(pt) == FileFormat::TorchSave);
  CHECK(sniff(st) == FileFormat::Safetensors);
}

TEST_CASE("file_format: the safetensors reader names the format it was given and what to use") {
  hgtok_test::TempDir dir;
  auto open_as = [&](const std::string& name, const std::vector<unsigned char>& b) {
    hgtok_test::write_bytes(dir.file(name), b);
    return SafetensorsFile::open(dir.file(name));
  };
  HGTOK_REQUIRE_THROWS_WITH(open_as("e.safetensors", {}), FormatError, "it looks like an empty file");
  HGTOK_REQUIRE_THROWS_WITH(open_as("p.safetensors", zip_with("archive/data.pkl")), FormatError, "torch.save file");
  HGTOK_REQUIRE_THROWS_WITH(open_as("p.safetensors", zip_with("archive/data.pkl")), FormatError, "tools/export_pyg.py");
  HGTOK_REQUIRE_THROWS_WITH(open_as("z.safetensors", zip_with("x.npy")), FormatError, "a NumPy .npz archive");
  HGTOK_REQUIRE_THROWS_WITH(open_as("k.safetensors", {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20}), FormatError,
                            "a Python pickle");
  HGTOK_REQUIRE_THROWS_WITH(open_as("h.safetensors", bytes_of(std::string("\x89HDF\r\n\x1a\n\0\0\0\0", 12))), FormatError,
                            "an HDF5 file: hgtok does not read HDF5");
  HGTOK_REQUIRE_THROWS_WITH(open_as("j.safetensors", bytes_of("{\"kernel\": \"hgt\", \"hidden_channels\": 8}")), FormatError,
                            "a JSON document");
  // An .npy (what `tokenize --out tokens.npy` writes) given where safetensors is read: the message of issue 19.
  const std::vector<float> v{1, 2, 3, 4};
  save_npy(dir.file("tokens.npy"), Dtype::F32, Shape{2, 2}, v.data());
  HGTOK_REQUIRE_THROWS_WITH(SafetensorsFile::open(dir.file("tokens.npy")), FormatError, "it looks like a NumPy .npy array");
  HGTOK_REQUIRE_THROWS_WITH(load_graph<float>(tests_path("fixtures/cli_graph.pt")), FormatError, "torch.save file");
  // A format the sniffer does not know keeps the reader's own message, with no guess.
  try {
    open_as("u.safetensors", bytes_of("hello world, plain text"));
    FAIL("no error");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find("looks like") == std::string::npos);
  }
}

TEST_CASE("file_format: the npy reader names the format it was given") {
  HGTOK_REQUIRE_THROWS_WITH(load_npy_array(tests_path("fixtures/cli_graph.safetensors")), FormatError, "it looks like a safetensors file");
  HGTOK_REQUIRE_THROWS_WITH(load_npy_array(tests_path("fixtures/cli_graph.npz")), FormatError, "a NumPy .npz archive");
  HGTOK_REQUIRE_THROWS_WITH(load_npy_array(tests_path("fixtures/cli_graph.pt")), FormatError, "torch.save");
}

}  // namespace test_file_format
