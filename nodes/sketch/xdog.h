#pragma once
#include "engine/descriptor.h"
namespace sumi {
// sketch.xdog: extended difference-of-Gaussians line art (Winnemoeller et
// al. 2012, the "p" form): S = (1 + p) G(sigma) - p G(k sigma) of the
// luminance, then white where S >= epsilon and 1 + tanh(phi (S - epsilon))
// below it - manga-like lines from a colour image.
NodeDescriptor sketch_xdog_node();
}  // namespace sumi
