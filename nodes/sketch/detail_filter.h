#pragma once
#include "engine/descriptor.h"
namespace sumi {
// sketch.detail_filter: the Sketch2Anime "detail filter" - Gaussian blur,
// Canny edges, connected lines shorter than a length dropped - turning a
// colour image into an incomplete, simplified 1-channel sketch.
NodeDescriptor sketch_detail_filter_node();
}  // namespace sumi
