// Making and reading the tensor-backed Value kinds (Image, Mask, Latent, Features).
//
//   Value img = make_image(at::zeros({1, 3, 128, 128}));
//   const at::Tensor& t = img.tensor();
//
// Include this only where tensors are handled: it pulls in ATen's Tensor
// header (a few seconds of compile time per translation unit).
//
// Thread safety: pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include "engine/value.h"

namespace sumi {

// The tensor is made contiguous float32; its content is hashed once here.
// Image: N x C x H x W (C = 1, 3 or 4); Mask: N x 1 x H x W; Latent: N x D or N x L x D (W+);
// Features: N x C x H x W, any C and any range.
// Throws sumi::Error when the shape does not fit the kind.
Value make_tensor_value(ValueKind kind, const at::Tensor& t);
inline Value make_image(const at::Tensor& t) { return make_tensor_value(ValueKind::Image, t); }
inline Value make_mask(const at::Tensor& t) { return make_tensor_value(ValueKind::Mask, t); }
inline Value make_latent(const at::Tensor& t) { return make_tensor_value(ValueKind::Latent, t); }

// Hash of a tensor's dtype, shape and bytes (copied to the CPU when needed).
std::uint64_t hash_tensor(const at::Tensor& t);

}  // namespace sumi
