// face.split: cuts a square sketch into the five DeepFaceDrawing components
// (left eye, right eye, nose, mouth, and the remainder with those four
// windows blanked). The windows come from the part-model manifest (the
// shipped models' by default: one source of truth), or from window
// parameters in a reference canvas for a fixed frame of one's own; either is
// scaled to the sketch's size.
#pragma once

#include <array>

#include "engine/descriptor.h"

namespace sumi {

NodeDescriptor face_split_node();

// Part names in output order.
inline constexpr std::array<const char*, 5> kFaceParts = {"left_eye", "right_eye", "nose", "mouth", "remainder"};

}  // namespace sumi
