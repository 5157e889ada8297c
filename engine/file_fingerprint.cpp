#include "engine/file_fingerprint.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/json_util.h"

namespace sumi {
namespace {

constexpr std::uint64_t kMissing = 0x6d697373696e67ULL;  // "missing"
constexpr std::uintmax_t kMaxManifestBytes = 1 << 20;

// The files a Sumi manifest ({"format": "sumi.…"}) names: every string value
// that is the name of a regular file next to it (weights, banks, other
// manifests). Not a manifest, or not JSON: none.
std::vector<std::string> named_files(const std::string& path, const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json j;
  try {
    j = parse_json_unordered(text, path);
  } catch (const Error&) {
    return out;
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>().rfind("sumi.", 0) != 0)
    return out;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& v) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s.empty() || s.size() > 4096 || s.front() == '/') return;  // manifests name their files relatively
      const std::string candidate = (dir / s).lexically_normal().string();
      struct stat st {};
      if (candidate != path && ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(candidate);
    } else if (v.is_structured()) {
      for (const auto& item : v) walk(item);
    }
  };
  walk(j);
  return out;
}

}  // namespace

std::uint64_t FileFingerprints::content(const std::string& path, std::vector<std::string>* named) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return kMissing;
  const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.size == size && it->second.mtime_ns == mtime) {
      if (named) *named = it->second.named;
      return it->second.hash;
    }
  }
  Hasher h;
  std::string text;  // kept for small .json files, to look for the files they name
  const bool json = size <= kMaxManifestBytes && path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.bytes(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (json) text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  const std::uint64_t hash = h.add(size).digest();
  std::vector<std::string> files = json ? named_files(path, text) : std::vector<std::string>{};
  if (named) *named = files;
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[path] = {size, mtime, hash, std::move(files)};
  return hash;
}

std::uint64_t FileFingerprints::get(const std::string& path) {
  std::vector<std::string> named;
  const std::uint64_t own = content(path, &named);
  if (named.empty()) return own;
  // A manifest's fingerprint covers the files it names: overwriting a model
  // file the manifest lists must invalidate results made with the old one,
  // even though the manifest itself did not change.
  Hasher h;
  h.add(own);
  for (const std::string& f : named) h.add(content(f, nullptr));
  return h.digest();
}

}  // namespace sumi
