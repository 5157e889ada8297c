#pragma once
#include "engine/descriptor.h"
namespace sumi {
// latent.mix_layers: AniFaceDrawing's stroke-level disentanglement as a
// parameter - layers from..to of a W+ code taken from a second code (e.g. the
// colour layers from a reference image), the rest from the first (the sketch).
NodeDescriptor latent_mix_layers_node();
}  // namespace sumi
