#pragma once
#include "engine/descriptor.h"
namespace sumi {
// colour.hint_merge: lays one set of colour hints over another (e.g. the
// user's hint strokes over hints taken from a reference image); the top set
// is resized to the base's size.
NodeDescriptor colour_hint_merge_node();
}  // namespace sumi
