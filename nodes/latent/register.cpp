#include "nodes/latent/decode.h"
#include "nodes/latent/encode.h"
#include "nodes/latent/mix_layers.h"
#include "nodes/latent/project.h"
#include "nodes/nodes.h"

namespace sumi {

void register_latent_nodes(Registry& r) {
  r.add(latent_encode_node());
  r.add(latent_decode_node());
  r.add(latent_project_node());
  r.add(latent_mix_layers_node());
}

}  // namespace sumi
