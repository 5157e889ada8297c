// Values: what flows along a link between two nodes.
//
// A Value is an immutable, cheaply copyable handle (a shared pointer) to a
// value of one kind: a built-in kind below, or one a node library or plugin
// registered (engine/kind_registry.h: tensor, record and object kinds). Its content hash is computed once, when it is
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
#include <typeinfo>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace at {
class Tensor;
}

namespace sumi {

enum class ValueKind : std::uint8_t {
  Image,   // float tensor N x C x H x W, values in [0, 1], on the run's device
  Mask,    // float tensor N x 1 x H x W, values in [0, 1]
  Scalar,  // double
  Int,     // int64
  Bool,
  String,
  // Ids from kFirstRegisteredKind (engine/kind_registry.h) are registered kinds: the drawing library's Strokes
  // and PartSet, the latent library's Latent, the synth library's Features, the face library's Frame, and what
  // plugins add.
};

std::string_view kind_name(ValueKind kind);
// Parses a kind name ("Image"); returns false when unknown.
bool parse_kind(std::string_view name, ValueKind& out);
// Whether a value of kind `from` may feed a port of kind `to`.
// Same kind always; a Mask may feed an Image port; an Int may feed a Scalar port.
bool kind_accepts(ValueKind to, ValueKind from);

// ---- Value ---------------------------------------------------------------
class Value {
 public:
  Value() = default;  // an empty value: no kind; `empty()` is true

  static Value make_scalar(double v);
  static Value make_int(std::int64_t v);
  static Value make_bool(bool v);
  static Value make_string(std::string v);
  // A record kind's document (a JSON object), checked and made canonical by the
  // kind's `normalise` (engine/kind_registry.h); throws sumi::Error when the kind
  // is not a record kind or the document is refused.
  static Value make_record(ValueKind kind, nlohmann::json doc);
  // Tensor kinds: see engine/tensor.h (make_image, make_mask, make_tensor_value).
  // An object kind's value (engine/kind_registry.h): `object` must be of the C++
  // type the kind was registered with; `content_hash` is the library's hash of
  // its content (equal content, equal hash); `bytes` the memory it holds.
  template <typename T>
  static Value make_object(ValueKind kind, T object, std::uint64_t content_hash, std::size_t bytes) {
    return make_object_of(kind, std::make_shared<const T>(std::move(object)), typeid(T), content_hash, bytes);
  }

  bool empty() const { return !p_; }
  ValueKind kind() const;
  // 64-bit content hash (xxHash3) of kind and content.
  std::uint64_t hash() const;
  // Approximate memory held, for the cache budget.
  std::size_t bytes() const;
  // One-line description, e.g. "Image 1x1x256x256 cpu".
  std::string describe() const;

  // Accessors throw sumi::Error when the kind does not match.
  double scalar() const;  // Scalar, or Int converted
  std::int64_t integer() const;
  bool boolean() const;
  const std::string& string() const;
  const nlohmann::json& record() const;  // a record kind's document
  const at::Tensor& tensor() const;  // Image, Mask or a registered tensor kind (Latent, Features, ...)
  // An object kind's object; throws sumi::Error when the value is not of `kind` (or T is not its type).
  template <typename T>
  const T& object(ValueKind kind) const {
    return *static_cast<const T*>(object_of(kind, typeid(T)));
  }
  // An object kind's object, untyped: what its kind's hooks take. Throws sumi::Error for other kinds.
  const void* object_data() const;

  struct Payload;  // defined in value.cpp; public so tensor.cpp can build one

 private:
  explicit Value(std::shared_ptr<const Payload> p) : p_(std::move(p)) {}
  static Value make_object_of(ValueKind kind, std::shared_ptr<const void> object, const std::type_info& type,
                              std::uint64_t content_hash, std::size_t bytes);
  const void* object_of(ValueKind kind, const std::type_info& type) const;
  friend Value make_tensor_value(ValueKind, const at::Tensor&);
  std::shared_ptr<const Payload> p_;
};

}  // namespace sumi
