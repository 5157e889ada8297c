// SHA-256 of files, for checking model files against the digests their
// manifests record (export.py writes them).
//
//   const std::string hex = sha256_file("models/parts/nose_encoder.pt");  // 64 lowercase hex digits
//
// Digests are cached process-wide by (path, size, modification time), so a
// file is read once however many sessions use it; a changed file is hashed
// again. Errors name the file.
//
// Thread safety: safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>

namespace sumi {

std::string sha256_file(const std::string& path);
std::string sha256_bytes(const void* data, std::size_t size);  // for tests and small buffers
// How many files were actually read and hashed so far (the cache misses; for tests).
std::uint64_t sha256_files_hashed();

}  // namespace sumi
