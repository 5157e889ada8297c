#include "engine/file_fingerprint.h"

#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "engine/hash.h"

namespace sumi {

std::uint64_t FileFingerprints::get(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0x6d697373696e67ULL;  // "missing"
  const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.size == size && it->second.mtime_ns == mtime) return it->second.hash;
  }
  Hasher h;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.bytes(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  const std::uint64_t hash = h.add(size).digest();
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[path] = {size, mtime, hash};
  return hash;
}

}  // namespace sumi
