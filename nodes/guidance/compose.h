#pragma once
#include "engine/descriptor.h"
namespace sumi {
// guidance.compose: DeepFaceDrawing's shadow guidance. Decoded parts pasted
// back at their windows with feathered edges, optionally faint under the
// user's sketch.
NodeDescriptor guidance_compose_node();
}  // namespace sumi
