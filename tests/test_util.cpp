#include "tests/test_util.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace sumi::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("sumi-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  std::filesystem::create_directories(dir_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string source_path(const std::string& relative) { return std::string(SUMI_SOURCE_DIR) + "/" + relative; }

}  // namespace sumi::test
