#pragma once
#include "engine/descriptor.h"
namespace sumi {
// guidance.overlay: a guidance image (e.g. the synthesised face's line art)
// drawn faintly under the user's sketch - AniFaceDrawing's rough / detail
// guidance, or any pinned image.
NodeDescriptor guidance_overlay_node();
}  // namespace sumi
