#include "engine/data_root.h"

#include <dlfcn.h>

#include <cstdlib>
#include <fstream>

namespace sumi {
namespace {

namespace fs = std::filesystem;

// The file this code was loaded from; the executable when the loader cannot say.
fs::path this_module_file() {
  fs::path p = engine_module_file();
  if (!p.empty()) return p;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

// CMAKE_HOME_DIRECTORY from a build tree's CMakeCache.txt: the source tree it was configured from.
fs::path source_dir_from_cache(const fs::path& cache) {
  std::ifstream in(cache);
  const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, key.size(), key) == 0) return fs::path(line.substr(key.size()));
  return {};
}

fs::path resolve_data_root() {
  if (const char* home = std::getenv("SUMI_HOME"); home && *home) return fs::path(home);
  std::error_code ec;
  const fs::path module = this_module_file();
  for (fs::path dir = module.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_directory(dir / "share" / "sumi" / "models", ec)) return dir / "share" / "sumi";
    if (fs::is_regular_file(dir / "CMakeCache.txt", ec)) {
      fs::path src = source_dir_from_cache(dir / "CMakeCache.txt");
      if (!src.empty() && fs::is_directory(src / "models", ec)) return src;
    }
    if (dir == dir.root_path()) break;
  }
  return fs::current_path(ec);
}

}  // namespace

fs::path engine_module_file() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&engine_module_file), &info) && info.dli_fname && *info.dli_fname) {
    std::error_code ec;
    fs::path p = fs::canonical(info.dli_fname, ec);
    if (!ec) return p;
  }
  return {};
}

const fs::path& data_root() {
  static const fs::path root = resolve_data_root();
  return root;
}

std::string data_path(const std::string& relative) { return (data_root() / relative).string(); }

}  // namespace sumi
