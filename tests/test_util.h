// Helpers shared by the C++ tests.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "engine/error.h"

namespace sumi::test {

// A fresh temporary folder per test, removed afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

void write_text(const std::string& path, const std::string& text);

// The repository root (for examples/, graphs/), from the SUMI_SOURCE_DIR define.
std::string source_path(const std::string& relative);

// Runs `cli args` through the shell; exit code and stdout+stderr together.
struct CliResult {
  int code;
  std::string out;
};
CliResult run_cli(const std::string& cli, const std::string& args);

}  // namespace sumi::test

// Expects `stmt` to throw a sumi::Error whose what() contains every one of the
// given substrings.
#define EXPECT_SUMI_ERROR(stmt, ...)                                                   \
  do {                                                                                 \
    try {                                                                              \
      stmt;                                                                            \
      ADD_FAILURE() << "expected a sumi::Error from " #stmt;                          \
    } catch (const ::sumi::Error& e_) {                                                \
      for (const char* s_ : {__VA_ARGS__})                                             \
        EXPECT_NE(std::string(e_.what()).find(s_), std::string::npos)                  \
            << "message: " << e_.what() << "\n  lacks: " << s_;                        \
    }                                                                                  \
  } while (0)
