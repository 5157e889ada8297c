// Content fingerprints of files named by Path/Model parameters, so a cached
// result is invalidated when the file it read changes (and kept when a file is
// merely touched). Contents are re-hashed only when size or mtime change. A
// Sumi manifest's fingerprint also covers the files it names (weights, banks),
// so replacing a model file behind an unchanged manifest is seen too.
//
//   FileFingerprints fps; std::uint64_t f = fps.get("models/eye.pt");
//
// A missing file has a fixed fingerprint; the node that opens it reports the error.
//
// Thread safety: safe to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sumi {

class FileFingerprints {
 public:
  std::uint64_t get(const std::string& path);

 private:
  // The file's own content hash; `named`: the files it names if a manifest.
  std::uint64_t content(const std::string& path, std::vector<std::string>* named);

  struct Entry {
    std::uintmax_t size;
    std::int64_t mtime_ns;
    std::uint64_t hash;
    std::vector<std::string> named;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace sumi
