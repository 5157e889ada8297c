// Reading and writing NumPy .npy arrays (little-endian, C order; float16,
// float32, int32, int64), the neutral format of latent banks.
//
//   NpyArray a = read_npy("models/parts/left_eye_bank.npy");   // a.shape, a.data as float
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sumi {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // converted to float32, row-major
  std::int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  std::int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
};

// Throws sumi::Error naming the file for a missing, malformed or unsupported file.
NpyArray read_npy(const std::string& path);
// Writes float32 (atomic).
void write_npy(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& data);

}  // namespace sumi
