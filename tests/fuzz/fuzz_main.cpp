// Entry points of the fuzz targets (fuzz_targets.hpp), one translation unit for all of them.
//
// With -DHGTOK_LIBFUZZER (clang, -fsanitize=fuzzer): libFuzzer's hooks; HGTOK_FUZZ_TARGET in the environment
// names the target, e.g.  HGTOK_FUZZ_TARGET=npy ./hgtok_libfuzzer corpus/ -max_total_time=600
// (HGTOK_FUZZ_TARGET=list prints the targets; HGTOK_FUZZ_SEEDS=DIR writes the target's seeds into DIR and exits.)
// Otherwise a plain program:
//   hgtok_fuzz list                          the targets
//   hgtok_fuzz replay TARGET [PATH...]       runs the target's seeds, then every file (or file in each directory);
//                                            exits 1 at the first input that escapes with something else than an
//                                            hgtok::Error (a crash ends it anyway)
//   hgtok_fuzz seeds TARGET DIR              writes the seeds into DIR, as a starting corpus for libFuzzer
#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>

#include "fuzz_targets.hpp"

#ifdef HGTOK_LIBFUZZER

namespace {
const hgtok_fuzz::Target* selected = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("HGTOK_FUZZ_TARGET");
  if (name && std::string(name) == "list") {
    for (const auto& t : hgtok_fuzz::targets()) std::printf("%s\n", t.name.c_str());
    std::exit(0);
  }
  selected = name ? hgtok_fuzz::find_target(name) : nullptr;
  if (!selected) {
    std::fprintf(stderr, "set HGTOK_FUZZ_TARGET to one of:");
    for (const auto& t : hgtok_fuzz::targets()) std::fprintf(stderr, " %s", t.name.c_str());
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  hgtok_fuzz::fuzz_limits();
  if (const char* dir = std::getenv("HGTOK_FUZZ_SEEDS")) {
    std::printf("%s: %zu seeds in %s\n", selected->name.c_str(), hgtok_fuzz::write_seeds(*selected, dir), dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hgtok_fuzz::run_one(*selected, data, size);
  return 0;
}

#else

namespace {

int usage() {
  std::cerr << "usage: hgtok_fuzz list | replay TARGET [PATH...] | seeds TARGET DIR\n";
  return 2;
}

/// Runs `t` on `input`; false (after a message naming `what`) when something other than an hgtok::Error escapes.
bool replay(const hgtok_fuzz::Target& t, const hgtok_fuzz::Bytes& input, const std::string& what) {
  try {
    hgtok_fuzz::run_one(t, input.data(), input.size());
    return true;
  } catch (const std::exception& e) {
    std::cerr << t.name << ": " << what << ": escaped " << e.what() << "\n";
  } catch (...) {
    std::cerr << t.name << ": " << what << ": escaped a non-std exception\n";
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) return usage();
  const std::string command = argv[1];
  if (command == "list") {
    for (const auto& t : hgtok_fuzz::targets()) std::cout << t.name << "\n";
    return 0;
  }
  if (argc < 3) return usage();
  const auto* t = hgtok_fuzz::find_target(argv[2]);
  if (!t) {
    std::cerr << "unknown target " << argv[2] << "\n";
    return usage();
  }
  hgtok_fuzz::fuzz_limits();
  if (command == "seeds" && argc == 4) {
    std::cout << t->name << ": " << hgtok_fuzz::write_seeds(*t, argv[3]) << " seeds in " << argv[3] << "\n";
    return 0;
  }
  if (command != "replay") return usage();
  std::size_t runs = 0;
  const auto seeds = t->seeds();
  for (std::size_t i = 0; i < seeds.size(); ++i, ++runs)
    if (!replay(*t, seeds[i], "seed " + std::to_string(i))) return 1;
  for (int a = 3; a < argc; ++a) {
    std::vector<fs::path> files;
    if (fs::is_directory(argv[a])) {
      for (const auto& entry : fs::directory_iterator(argv[a]))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else if (fs::exists(argv[a])) {
      files.push_back(argv[a]);
    }
    for (const auto& f : files) {
      const std::string text = hgtok_fuzz::read_text(f);
      if (!replay(*t, hgtok_fuzz::Bytes(text.begin(), text.end()), f.string())) return 1;
      ++runs;
    }
  }
  std::cout << t->name << ": " << runs << " inputs replayed, no finding\n";
  return 0;
}

#endif
