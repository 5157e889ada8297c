// The drawing library's Strokes kind: a drawing - canvas size and strokes
// (lines, colour hints, erasers). An object kind (engine/kind_registry.h)
// that this library registers, as a plugin would: the engine knows nothing of
// drawings. Its JSON form is a strokes file's document (nodes/common/strokes_file.h),
// which is also how Python and the editor's run requests carry it.
//
//   d.inputs = {PortSpec::in("strokes", strokes_kind(), "the drawing")};
//   const Strokes& s = strokes_of(ctx.input("strokes"));
//   ctx.set_output("strokes", make_strokes(std::move(s2)));
//
// Torch- and OpenCV-free (the fuzz targets for strokes files build it).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/value.h"

namespace sumi {

enum class StrokeKind : std::uint8_t { Line, Hint, Erase };
std::string_view stroke_kind_name(StrokeKind kind);

struct Rgba {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
  bool operator==(const Rgba& o) const { return r == o.r && g == o.g && b == o.b && a == o.a; }
};

struct StrokePoint {
  float x = 0, y = 0;
  float pressure = 1;  // 0..1, scales the width
  bool operator==(const StrokePoint& o) const { return x == o.x && y == o.y && pressure == o.pressure; }
};

struct Stroke {
  StrokeKind kind = StrokeKind::Line;
  float width = 3;  // in canvas pixels, at pressure 1
  Rgba color;
  std::vector<StrokePoint> points;
  bool operator==(const Stroke& o) const {
    return kind == o.kind && width == o.width && color == o.color && points == o.points;
  }
};

struct Strokes {
  int width = 512, height = 512;  // canvas size in pixels
  std::vector<Stroke> strokes;
  bool operator==(const Strokes& o) const {
    return width == o.width && height == o.height && strokes == o.strokes;
  }
};

// Registered on first use (the drawing nodes' descriptors use it, so it exists wherever they do).
ValueKind strokes_kind();
Value make_strokes(Strokes strokes);
// Throws sumi::Error when `v` is not a Strokes value.
const Strokes& strokes_of(const Value& v);

}  // namespace sumi
