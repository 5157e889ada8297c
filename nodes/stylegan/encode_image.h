#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.encode_image: AniFaceDrawing's stage-1 teacher - a colour image (a
// reference face) into the StyleGAN's W+ space (1 x num_ws x w_dim).
NodeDescriptor latent_encode_image_node();
}  // namespace sumi
