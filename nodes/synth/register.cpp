#include "nodes/nodes.h"
#include "nodes/synth/feature_map.h"
#include "nodes/synth/image.h"
#include "nodes/synth/paste_features.h"

namespace sumi {

void register_synth_nodes(Registry& r) {
  r.add(synth_feature_map_node());
  r.add(synth_paste_features_node());
  r.add(synth_image_node());
}

}  // namespace sumi
