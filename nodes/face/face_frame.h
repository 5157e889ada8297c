// The face library's Frame kind: where a face sits in an image (face.locate's
// output, face.split's and face.warp's input). It is a record kind
// (engine/kind_registry.h) that this library registers, as a plugin would:
// the engine knows nothing of faces.
//
// A Frame is the similarity that maps the models' canonical frame - a
// `canonical` x `canonical` canvas - onto an image of `width` x `height`
// pixels, and the face's part boxes in canonical pixels. `located` is false
// when the drawing was (nearly) empty and the canonical frame was assumed.
//
// Its document (also Python's dict, the editor's run reply):
//   {"canonical": 256, "size": [w, h], "matrix": [[a, b, c], [d, e, f]],
//    "located": true, "parts": {"left_eye": [cx, cy, w, h], ...},
//    "scale": s, "rotation_deg": r}     (the last two derived, ignored when read)
//
//   Value v = make_frame_value(f);  FaceFrame g = frame_of(v);
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/value.h"

namespace sumi {

struct FaceBox {
  std::string name;
  double cx = 0, cy = 0, w = 0, h = 0;  // canonical pixels
  bool operator==(const FaceBox& o) const { return name == o.name && cx == o.cx && cy == o.cy && w == o.w && h == o.h; }
};

struct FaceFrame {
  int canonical = 256;
  int width = 256, height = 256;
  // canonical px -> image px: x' = m[0] x + m[1] y + m[2], y' = m[3] x + m[4] y + m[5]
  std::array<double, 6> matrix{1, 0, 0, 0, 1, 0};
  std::vector<FaceBox> parts;  // in name order
  bool located = true;
  double scale() const;         // the similarity's scale (1 = the canonical size, per canonical pixel)
  double rotation_deg() const;  // counter-clockwise on screen is negative (y points down)
  const FaceBox* part(std::string_view name) const;
  bool operator==(const FaceFrame& o) const {
    return canonical == o.canonical && width == o.width && height == o.height && matrix == o.matrix &&
           parts == o.parts && located == o.located;
  }
};

// The Frame kind, registered on first use (register_face_nodes uses it, so it
// exists wherever the face nodes do).
ValueKind frame_kind();

Value make_frame_value(const FaceFrame& frame);
// Throws sumi::Error when `v` is not a Frame.
FaceFrame frame_of(const Value& v);

// The document <-> struct; frame_from_json throws sumi::Error naming the field.
nlohmann::json frame_to_json(const FaceFrame& frame);
FaceFrame frame_from_json(const nlohmann::json& doc);

}  // namespace sumi
