#include "nodes/io/load_image.h"
#include "nodes/io/save_image.h"
#include "nodes/io/strokes_input.h"
#include "nodes/nodes.h"

namespace sumi {

void register_io_nodes(Registry& r) {
  r.add(strokes_input_node());
  r.add(load_image_node());
  r.add(save_image_node());
}

}  // namespace sumi
