#pragma once
#include "engine/descriptor.h"
namespace sumi {
// synth.feature_map: DeepFaceDrawing's feature mapping - one part's latent
// decoded into a multi-channel feature map by the part's feature decoder
// (swappable), resized to the part's window on the generator canvas.
// synth.paste_features assembles the five maps.
NodeDescriptor synth_feature_map_node();
}  // namespace sumi
