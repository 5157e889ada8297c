#include "nodes/colour/hint_merge.h"
#include "nodes/colour/hints_input.h"
#include "nodes/colour/simulate_hints.h"
#include "nodes/nodes.h"

namespace sumi {

void register_colour_nodes(Registry& r) {
  r.add(colour_simulate_hints_node());
  r.add(colour_hints_input_node());
  r.add(colour_hint_merge_node());
}

}  // namespace sumi
