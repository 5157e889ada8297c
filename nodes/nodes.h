// Registration of the node library, one call per domain.
//
//   Registry reg; register_all_nodes(reg);
//
// Thread safety: call during start-up, before sessions run.
#pragma once

#include "engine/registry.h"

namespace sumi {

void register_io_nodes(Registry& r);
void register_image_nodes(Registry& r);
void register_sketch_nodes(Registry& r);
void register_face_nodes(Registry& r);
void register_colour_nodes(Registry& r);
void register_latent_nodes(Registry& r);
void register_guidance_nodes(Registry& r);
void register_synth_nodes(Registry& r);
void register_stylegan_nodes(Registry& r);
void register_all_nodes(Registry& r);

}  // namespace sumi
