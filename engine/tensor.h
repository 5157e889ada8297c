// Making and reading the tensor-backed Value kinds: Image, Mask and registered
// tensor kinds (engine/kind_registry.h: the latent library's Latent, the synth
// library's Features, a plugin's).
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
// Image: N x C x H x W (C = 1, 3 or 4); Mask: N x 1 x H x W; a registered kind: the
// ranks it declared (TensorKindShape).
// Throws sumi::Error when the shape does not fit the kind.
Value make_tensor_value(ValueKind kind, const at::Tensor& t);
inline Value make_image(const at::Tensor& t) { return make_tensor_value(ValueKind::Image, t); }
inline Value make_mask(const at::Tensor& t) { return make_tensor_value(ValueKind::Mask, t); }

// Hash of a tensor's dtype, shape and bytes (copied to the CPU when needed).
std::uint64_t hash_tensor(const at::Tensor& t);

}  // namespace sumi
