// Streaming 64-bit content hash (xxHash3) used for cache keys and value hashes.
//
//   Hasher h; h.add(node_type); h.add(version); std::uint64_t key = h.digest();
//
// Thread safety: a Hasher is a plain local object; use one per thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

// Inlined: the state struct must be complete, and small-key hashing is hot in cache keys.
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

namespace sumi {

class Hasher {
 public:
  Hasher() { XXH3_64bits_reset(&state_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& bytes(const void* data, std::size_t size) {
    XXH3_64bits_update(&state_, data, size);
    return *this;
  }
  Hasher& add(std::string_view s) {
    add(static_cast<std::uint64_t>(s.size()));
    return bytes(s.data(), s.size());
  }
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>>>
  Hasher& add(T v) {
    return bytes(&v, sizeof v);
  }
  std::uint64_t digest() const { return XXH3_64bits_digest(&state_); }

 private:
  XXH3_state_t state_;
};

inline std::uint64_t hash_bytes(const void* data, std::size_t size) { return XXH3_64bits(data, size); }

}  // namespace sumi
