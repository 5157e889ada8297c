// sketch.progressive: a sequence of cumulative partial sketches of one face,
// drawn part by part (outline/hair, left eye, right eye, nose, mouth) in a
// seeded random order, line by line within a part - the simulated drawing
// process AniFaceDrawing trains on. The last step is the whole sketch.
#pragma once

#include <array>

#include "engine/descriptor.h"

namespace sumi {

NodeDescriptor sketch_progressive_node();

// Part names; "outline" is everything outside the four windows.
inline constexpr std::array<const char*, 5> kDrawingParts = {"outline", "left_eye", "right_eye", "nose", "mouth"};

}  // namespace sumi
