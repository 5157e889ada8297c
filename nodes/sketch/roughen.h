#pragma once
#include "engine/descriptor.h"
namespace sumi {
// sketch.roughen: an amateur's version of a clean sketch - stroke width that
// varies along the lines, a small smooth elastic warp, and a finer line
// wobble, all from seeded smooth random fields.
NodeDescriptor sketch_roughen_node();
}  // namespace sumi
