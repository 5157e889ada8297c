#include "engine/file_digest.h"

#include <openssl/evp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "engine/error.h"

namespace sumi {
namespace {

struct Stamp {
  std::uintmax_t size = 0;
  std::int64_t mtime = 0;
  bool operator==(const Stamp& o) const { return size == o.size && mtime == o.mtime; }
};

std::mutex cache_mutex;
std::map<std::string, std::pair<Stamp, std::string>> cache;  // path -> (stamp, hex)
std::atomic<std::uint64_t> hashed{0};

std::string hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = digits[d[i] >> 4];
    s[2 * i + 1] = digits[d[i] & 15];
  }
  return s;
}

struct Md {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  Md() {
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 unavailable");
  }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx.get(), p, n); }
  std::string finish() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx.get(), d, &n);
    return hex(d, n);
  }
};

}  // namespace

std::string sha256_bytes(const void* data, std::size_t size) {
  Md md;
  md.update(data, size);
  return md.finish();
}

std::string sha256_file(const std::string& path) {
  const ErrorContext ctx{path, {}, {}, {}, {}};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(ctx, "not a regular file (cannot check its SHA-256)");
  Stamp stamp;
  stamp.size = std::filesystem::file_size(path, ec);
  stamp.mtime = static_cast<std::int64_t>(std::filesystem::last_write_time(path, ec).time_since_epoch().count());
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = cache.find(path);
    if (it != cache.end() && it->second.first == stamp) return it->second.second;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ctx, "cannot read the file to check its SHA-256");
  Md md;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    md.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(ctx, "read error while checking its SHA-256");
  std::string digest = md.finish();
  ++hashed;
  std::lock_guard<std::mutex> lock(cache_mutex);
  cache[path] = {stamp, digest};
  return digest;
}

std::uint64_t sha256_files_hashed() { return hashed.load(); }

}  // namespace sumi
