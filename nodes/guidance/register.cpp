#include "nodes/guidance/compose.h"
#include "nodes/guidance/overlay.h"
#include "nodes/nodes.h"

namespace sumi {

void register_guidance_nodes(Registry& r) {
  r.add(guidance_compose_node());
  r.add(guidance_overlay_node());
}

}  // namespace sumi
