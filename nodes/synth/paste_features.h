#pragma once
#include "engine/descriptor.h"
namespace sumi {
// synth.paste_features: the five parts' feature maps resized (bilinear) to
// their windows on the output canvas and pasted into one canvas - remainder
// first, then nose, mouth, left eye, right eye (later ones win where windows
// overlap), exactly as the generator was trained.
NodeDescriptor synth_paste_features_node();
}  // namespace sumi
