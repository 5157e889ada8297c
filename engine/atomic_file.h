// Atomic file writes: data goes to a temporary file beside the target, is
// flushed to disk, then renamed over the target, so a reader (or a crash)
// never sees a half-written file and an old file is never lost.
//
//   write_file_atomic("graphs/x.sumi.json", text);
//
// Thread safety: safe; concurrent writers to the same path race on which
// rename lands last, but each result is a complete file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sumi {

// Throws sumi::Error naming the file on failure (unwritable folder, disk full).
void write_file_atomic(const std::string& path, std::string_view data);

// Throws sumi::Error naming the file unless `path` (links followed) is an
// existing regular file: "file not found", "is a folder, not a file", "not a
// regular file (a device, FIFO or socket)".
void check_regular_file(const std::string& path);

// Reads a whole file; throws sumi::Error naming the file when it cannot, when it
// is not a regular file (a device such as /dev/zero, a FIFO or a socket would
// block or never end) or when it holds more than `max_bytes`.
constexpr std::size_t kMaxReadBytes = std::size_t{256} << 20;
std::string read_file(const std::string& path, std::size_t max_bytes = kMaxReadBytes);

}  // namespace sumi
