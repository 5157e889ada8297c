#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.decode: a part latent -> the part's sketch crop (the part's decoder).
NodeDescriptor latent_decode_node();
}  // namespace sumi
