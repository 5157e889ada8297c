#include "nodes/nodes.h"
#include "nodes/sketch/rasterise.h"

namespace sumi {

void register_sketch_nodes(Registry& r) { r.add(sketch_rasterise_node()); }

}  // namespace sumi
