// Values: what flows along a link between two nodes.
//
// A Value is an immutable, cheaply copyable handle (a shared pointer) to a
// value of one kind: a built-in kind below, or one a node library or plugin
// registered (engine/kind_registry.h: tensor and record kinds). Its content hash is computed once, when it is
// made, so the cache can key a consumer on what its inputs *contain* rather
// than on who produced them ("early cutoff").
//
//   Value s = Value::make_scalar(0.5);
//   Value img = make_image(torch::zeros({1, 1, 64, 64}));   // engine/tensor.h
//
// Image, Mask and tensor kinds (Latent, Features, ...) hold a torch tensor; this header only forward-declares
// it so that widely included code does not pay LibTorch's compile time.
// Include engine/tensor.h to make or read tensors.
//
// Thread safety: Values are immutable; copies may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace at {
class Tensor;
}

namespace sumi {

enum class ValueKind : std::uint8_t {
  Strokes,  // a drawing: canvas size and strokes
  Image,    // float tensor N x C x H x W, values in [0, 1], on the run's device
  Mask,     // float tensor N x 1 x H x W, values in [0, 1]
  PartSet,  // named image crops with their windows on the canvas
  Scalar,   // double
  Int,      // int64
  Bool,
  String,
  // Ids from kFirstRegisteredKind (engine/kind_registry.h) are registered kinds: the latent library's Latent,
  // the synth library's Features, the face library's Frame, and what plugins add.
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
  // A record kind's document (a JSON object), checked and made canonical by the
  // kind's `normalise` (engine/kind_registry.h); throws sumi::Error when the kind
  // is not a record kind or the document is refused.
  static Value make_record(ValueKind kind, nlohmann::json doc);
  // Tensor kinds: see engine/tensor.h (make_image, make_mask, make_tensor_value).

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
  const nlohmann::json& record() const;  // a record kind's document
  const at::Tensor& tensor() const;  // Image, Mask or a registered tensor kind (Latent, Features, ...)

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
