#include "nodes/nodes.h"
#include "nodes/stylegan/encode_image.h"
#include "nodes/stylegan/encode_sketch.h"
#include "nodes/stylegan/synthesis.h"

namespace sumi {

void register_stylegan_nodes(Registry& r) {
  r.add(latent_encode_image_node());
  r.add(latent_encode_sketch_node());
  r.add(synth_stylegan_node());
}

}  // namespace sumi
