#include "nodes/face/face_frame.h"
#include "nodes/face/locate.h"
#include "nodes/face/split.h"
#include "nodes/face/warp.h"
#include "nodes/nodes.h"

namespace sumi {

void register_face_nodes(Registry& r) {
  frame_kind();  // the library's value kind, before its nodes name it
  r.add(face_split_node());
  r.add(face_locate_node());
  r.add(face_warp_node());
}

}  // namespace sumi
