#include "engine/input_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <unistd.h>

namespace sumi {
namespace {

// Why `path` cannot be read, or "".
std::string unreadable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return "input file '" + path + "' does not exist";
  if (fs::is_directory(st)) return "input file '" + path + "' is a folder, not a file";
  // Not opened: opening a FIFO would block until something writes to it.
  if (!fs::is_regular_file(st)) return "input file '" + path + "' is not a regular file (a device, FIFO or socket)";
  if (::access(path.c_str(), R_OK) != 0) return "input file '" + path + "' cannot be read: " + std::strerror(errno);
  return {};
}

}  // namespace

std::vector<Error> check_input_files(const Plan& plan) {
  std::vector<Error> errors;
  for (const PlanNode& n : plan.nodes) {
    for (int p : n.read_params) {
      const auto& path = std::get<std::string>(n.params[static_cast<std::size_t>(p)]);
      if (path.empty()) continue;
      if (std::string why = unreadable(path); !why.empty())
        errors.emplace_back(ErrorContext{plan.source_file, n.id, n.desc->id, {}, n.desc->params[static_cast<std::size_t>(p)].name},
                            why);
    }
  }
  return errors;
}

}  // namespace sumi
