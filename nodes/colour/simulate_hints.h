#pragma once
#include "engine/descriptor.h"
namespace sumi {
// colour.simulate_hints: the Sketch2Anime colour-hint simulation - random
// round-brush strokes, each painted in the target image's colour where it
// starts and stopping where the target's colour changes - as an RGB hint
// image (white where no hint), its mask, and the strokes themselves.
NodeDescriptor colour_simulate_hints_node();
}  // namespace sumi
