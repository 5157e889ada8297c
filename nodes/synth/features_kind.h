// The synth library's Features kind: a float tensor N x C x H x W, any C and
// range - a network's feature maps (synth.feature_map -> synth.paste_features
// -> synth.image). A tensor kind (engine/kind_registry.h) that this library
// registers, as a plugin would.
//
//   ctx.set_output("features", make_features(t));
#pragma once

#include "engine/value.h"

namespace at {
class Tensor;
}

namespace sumi {

// Registered on first use (register_synth_nodes uses it, so it exists wherever the synth nodes do).
ValueKind features_kind();
// Throws sumi::Error when `t` is not N x C x H x W.
Value make_features(const at::Tensor& t);

}  // namespace sumi
