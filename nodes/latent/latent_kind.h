// The latent library's Latent kind: a float tensor N x D (a part latent, KNN
// neighbours and weights) or N x L x D (a W+ code: one D-vector per synthesis
// layer). A tensor kind (engine/kind_registry.h) that this library registers,
// as a plugin would; the synth, StyleGAN and face libraries use it through
// this header.
//
//   d.outputs = {PortSpec::out("latent", latent_kind(), "1 x D latent")};
//   ctx.set_output("latent", make_latent(t));
#pragma once

#include "engine/value.h"

namespace at {
class Tensor;
}

namespace sumi {

// Registered on first use (register_latent_nodes uses it, so it exists wherever the latent nodes do).
ValueKind latent_kind();
// Throws sumi::Error when `t` is not N x D or N x L x D.
Value make_latent(const at::Tensor& t);

}  // namespace sumi
