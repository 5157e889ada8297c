#include "nodes/nodes.h"

namespace sumi {

void register_all_nodes(Registry& r) {
  register_io_nodes(r);
  register_image_nodes(r);
  register_sketch_nodes(r);
  register_face_nodes(r);
  register_colour_nodes(r);
  register_latent_nodes(r);
  register_guidance_nodes(r);
  register_synth_nodes(r);
  register_stylegan_nodes(r);
}

}  // namespace sumi
