#include "nodes/colour/simulate_hints.h"
#include "nodes/nodes.h"

namespace sumi {

void register_colour_nodes(Registry& r) { r.add(colour_simulate_hints_node()); }

}  // namespace sumi
