#pragma once
#include "engine/descriptor.h"
namespace sumi {
// synth.image: the image generator (pix2pix-style, swappable) turning the
// pasted feature canvas into an RGB portrait, with optional Sketch2Anime
// colour hints. A hint image without a mask is read as "hinted wherever it is
// not white" (or its alpha, when it has one).
NodeDescriptor synth_image_node();
}  // namespace sumi
