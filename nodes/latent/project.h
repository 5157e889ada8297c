#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.project: DeepFaceDrawing's manifold projection. The K nearest bank
// latents, locally-linear weights (sum 1) reconstructing the input, and the
// blend blend * projected + (1 - blend) * input.
NodeDescriptor latent_project_node();
}  // namespace sumi
