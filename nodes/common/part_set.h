// The PartSet kind: named image crops of a drawing with their windows on the
// canvas (face.split's output; guidance.compose's and image.collect's input).
// An object kind (engine/kind_registry.h) that the node libraries register,
// as a plugin would: the engine knows nothing of faces or windows.
//
//   ctx.set_output("parts", make_parts(std::move(parts)));
//   for (const Part& p : parts_of(ctx.input("parts"))) ...
//
// Torch-free: a part's image is a Value (an Image).
#pragma once

#include <string>
#include <vector>

#include "engine/value.h"

namespace sumi {

// A square window on the canvas, in canvas pixels.
struct Window {
  int x = 0, y = 0, size = 0;
  bool operator==(const Window& o) const { return x == o.x && y == o.y && size == o.size; }
};

struct Part {
  std::string name;
  Window window;  // where the crop sits on the canvas
  Value image;    // an Image value, window.size x window.size (scaled to the canvas)
};
using PartSet = std::vector<Part>;

// Registered on first use (face.split's descriptor uses it).
ValueKind parts_kind();
// Throws sumi::Error when a part holds something other than an Image or Mask.
Value make_parts(PartSet parts);
// Throws sumi::Error when `v` is not a PartSet value.
const PartSet& parts_of(const Value& v);

}  // namespace sumi
