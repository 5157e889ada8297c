#include "engine/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace sumi {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

void write_file_atomic(const std::string& path, std::string_view data) {
  static std::atomic<unsigned> counter{0};
  ErrorContext ctx;
  ctx.file = path;
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ctx, "cannot write: folder '" + dir.string() + "' does not exist");
  fs::path tmp = dir / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()) + "-" +
                        std::to_string(counter.fetch_add(1)));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(ctx, "cannot write: " + errno_text());
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(ctx, "cannot write: " + why);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(ctx, "cannot write: " + why);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(ctx, "cannot write: " + why);
  }
}

void check_regular_file(const std::string& path) {
  ErrorContext ctx;
  ctx.file = path;
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);  // follows links
  if (!std::filesystem::exists(st)) throw Error(ctx, "file not found");
  if (std::filesystem::is_directory(st)) throw Error(ctx, "is a folder, not a file");
  if (!std::filesystem::is_regular_file(st)) throw Error(ctx, "not a regular file (a device, FIFO or socket)");
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  check_regular_file(path);
  ErrorContext ctx;
  ctx.file = path;
  std::error_code ec;
  const auto mb = [](std::size_t n) { return std::to_string((n + (1 << 20) - 1) >> 20) + " MB"; };
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) throw Error(ctx, "the file is " + mb(size) + ", more than the " + mb(max_bytes) + " Sumi reads");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ctx, "cannot open: " + errno_text());
  std::string data;
  std::string buf(std::size_t{1} << 16, '\0');
  while (in) {  // bounded even when the size above was wrong (a file still growing)
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    data.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) throw Error(ctx, "the file holds more than the " + mb(max_bytes) + " Sumi reads");
  }
  if (in.bad()) throw Error(ctx, "cannot read: " + errno_text());
  return data;
}

}  // namespace sumi
