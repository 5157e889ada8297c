#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.encode_sketch: AniFaceDrawing's stage-2 sketch encoder - a sketch, at
// any moment of drawing, into the W+ code of the finished face.
NodeDescriptor latent_encode_sketch_node();
}  // namespace sumi
