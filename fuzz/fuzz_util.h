// Shared by the libFuzzer targets: a sumi::Error (or the editor's ApiError) is
// the expected answer to bad input; any other exception that escapes a parser
// is a finding (it would reach the user as a raw library message, or kill a
// thread), and so are crashes and ASan/UBSan reports.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "engine/error.h"

namespace sumi::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs f(); returns true when it returned, false when it threw sumi::Error.
template <class F>
bool expect_ok_or_error(F&& f) {
  try {
    f();
    return true;
  } catch (const sumi::Error&) {
    return false;
  } catch (const std::exception& e) {
    finding(std::string("exception ") + typeid(e).name() + " escaped: " + e.what());
  }
}

// A scratch folder of this process (removed at exit), for loaders that read files.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/sumi-fuzz-XXXXXX";
    if (!mkdtemp(templ.data())) finding("mkdtemp failed");
    static std::string keep = templ;
    std::atexit([] { std::system(("rm -rf '" + keep + "'").c_str()); });
    return templ;
  }();
  return dir;
}

// Writes the bytes to scratch_dir()/name and returns its path.
inline std::string write_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) finding("cannot write " + path);
  if (size && std::fwrite(data, 1, size, f) != size) finding("short write to " + path);
  std::fclose(f);
  return path;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace sumi::fuzz
