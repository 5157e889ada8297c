#include "nodes/face/split.h"
#include "nodes/nodes.h"

namespace sumi {

void register_face_nodes(Registry& r) { r.add(face_split_node()); }

}  // namespace sumi
