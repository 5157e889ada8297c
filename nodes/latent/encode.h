#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.encode: one face part's sketch crop -> its latent (the part's encoder
// from the model manifest, or an override file).
NodeDescriptor latent_encode_node();
}  // namespace sumi
