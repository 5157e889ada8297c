#include "nodes/nodes.h"
#include "nodes/sketch/detail_filter.h"
#include "nodes/sketch/drop_strokes.h"
#include "nodes/sketch/progressive.h"
#include "nodes/sketch/rasterise.h"
#include "nodes/sketch/roughen.h"
#include "nodes/sketch/xdog.h"

namespace sumi {

void register_sketch_nodes(Registry& r) {
  r.add(sketch_rasterise_node());
  r.add(sketch_detail_filter_node());
  r.add(sketch_xdog_node());
  r.add(sketch_drop_strokes_node());
  r.add(sketch_roughen_node());
  r.add(sketch_progressive_node());
}

}  // namespace sumi
