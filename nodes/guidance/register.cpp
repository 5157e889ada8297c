#include "nodes/guidance/compose.h"
#include "nodes/nodes.h"

namespace sumi {

void register_guidance_nodes(Registry& r) { r.add(guidance_compose_node()); }

}  // namespace sumi
