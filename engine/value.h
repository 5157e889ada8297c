// Values: what flows along a link between two nodes.
//
// A Value is an immutable, cheaply copyable handle (a shared pointer) to one of
// a small closed set of kinds. Its content hash is computed once, when it is
// made, so the cache can key a consumer on what its inputs *contain* rather
// than on who produced them ("early cutoff").
//
//   Value s = Value::make_scalar(0.5);
//   Value img = make_image(torch::zeros({1, 1, 64, 64}));   // engine/tensor.h
//
// Image, Mask, Latent and Features hold a torch tensor; this header only forward-declares
// it so that widely included code does not pay LibTorch's compile time.
// Include engine/tensor.h to make or read tensors.
//
// Thread safety: Values are immutable; copies may be used from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace at {
class Tensor;
}

namespace sumi {

enum class ValueKind : std::uint8_t {
  Strokes,  // a drawing: canvas size and strokes
  Image,    // float tensor N x C x H x W, values in [0, 1], on the run's device
  Mask,     // float tensor N x 1 x H x W, values in [0, 1]
  Latent,   // float tensor N x D, or N x L x D (a W+ code: one D-vector per synthesis layer)
  PartSet,  // named image crops with their windows on the canvas
  Scalar,   // double
  Int,      // int64
  Bool,
  String,
  Features,  // float tensor N x C x H x W, any range: a network's feature maps (any C)
  Frame,     // where a face sits in an image (FaceFrame): canonical frame -> image, and its part windows
};

std::string_view kind_name(ValueKind kind);
// Parses a kind name ("Image"); returns false when unknown.
bool parse_kind(std::string_view name, ValueKind& out);
// Whether a value of kind `from` may feed a port of kind `to`.
// Same kind always; a Mask may feed an Image port; an Int may feed a Scalar port.
bool kind_accepts(ValueKind to, ValueKind from);

// ---- Strokes -------------------------------------------------------------
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

// ---- Parts ---------------------------------------------------------------
// A square window on the canvas, in canvas pixels.
struct Window {
  int x = 0, y = 0, size = 0;
  bool operator==(const Window& o) const { return x == o.x && y == o.y && size == o.size; }
};

struct Part;
using PartSet = std::vector<Part>;

// ---- Face frame ------------------------------------------------------------
// Where a face sits in an image (face.locate's output): the similarity that
// maps the models' canonical frame - a `canonical` x `canonical` canvas - onto
// an image of `width` x `height` pixels, and the face's part boxes in
// canonical pixels. `located` is false when the drawing was (nearly) empty and
// the canonical frame was assumed.
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
  std::vector<FaceBox> parts;
  bool located = true;
  double scale() const;         // the similarity's scale (1 = the canonical size, per canonical pixel)
  double rotation_deg() const;  // counter-clockwise on screen is negative (y points down)
  const FaceBox* part(std::string_view name) const;
  bool operator==(const FaceFrame& o) const {
    return canonical == o.canonical && width == o.width && height == o.height && matrix == o.matrix &&
           parts == o.parts && located == o.located;
  }
};

// ---- Value ---------------------------------------------------------------
class Value {
 public:
  Value() = default;  // an empty value: no kind; `empty()` is true

  static Value make_strokes(Strokes strokes);
  static Value make_parts(PartSet parts);
  static Value make_scalar(double v);
  static Value make_int(std::int64_t v);
  static Value make_bool(bool v);
  static Value make_string(std::string v);
  static Value make_frame(FaceFrame frame);
  // Tensor kinds: see engine/tensor.h (make_image, make_mask, make_latent).

  bool empty() const { return !p_; }
  ValueKind kind() const;
  // 64-bit content hash (xxHash3) of kind and content.
  std::uint64_t hash() const;
  // Approximate memory held, for the cache budget.
  std::size_t bytes() const;
  // One-line description, e.g. "Image 1x1x256x256 cpu".
  std::string describe() const;

  // Accessors throw sumi::Error when the kind does not match.
  const Strokes& strokes() const;
  const PartSet& parts() const;
  double scalar() const;  // Scalar, or Int converted
  std::int64_t integer() const;
  bool boolean() const;
  const std::string& string() const;
  const FaceFrame& frame() const;
  const at::Tensor& tensor() const;  // Image, Mask, Latent or Features

  struct Payload;  // defined in value.cpp; public so tensor.cpp can build one

 private:
  explicit Value(std::shared_ptr<const Payload> p) : p_(std::move(p)) {}
  friend Value make_tensor_value(ValueKind, const at::Tensor&);
  std::shared_ptr<const Payload> p_;
};

struct Part {
  std::string name;
  Window window;  // where the crop sits on the canvas
  Value image;    // an Image value, window.size x window.size (scaled to the canvas)
};

}  // namespace sumi
