#include "engine/value.h"

#include <cmath>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/kind_registry.h"
#include "engine/value_payload.h"

namespace sumi {
namespace {

[[noreturn]] void wrong_kind(ValueKind want, const Value& v) {
  throw Error("expected a " + std::string(kind_name(want)) + " value, got " +
              (v.empty() ? std::string("nothing") : std::string(kind_name(v.kind()))));
}

template <typename T>
Value::Payload payload(ValueKind kind, T&& data) {
  Value::Payload p{kind, 0, 0, std::forward<T>(data)};
  return p;
}

}  // namespace

// Names and descriptions of every kind, built-in or registered: engine/kind_registry.h.
std::string_view kind_name(ValueKind kind) { return kind_info(kind).name; }

bool parse_kind(std::string_view name, ValueKind& out) {
  for (ValueKind k : all_kinds()) {
    if (kind_info(k).name == name) {
      out = k;
      return true;
    }
  }
  return false;
}

bool kind_accepts(ValueKind to, ValueKind from) {
  if (to == from) return true;
  if (to == ValueKind::Image && from == ValueKind::Mask) return true;
  if (to == ValueKind::Scalar && from == ValueKind::Int) return true;
  return false;
}

std::string_view stroke_kind_name(StrokeKind kind) {
  switch (kind) {
    case StrokeKind::Line: return "line";
    case StrokeKind::Hint: return "hint";
    case StrokeKind::Erase: return "erase";
  }
  return "line";
}

Value Value::make_strokes(Strokes s) {
  Hasher h;
  h.add(ValueKind::Strokes).add(s.width).add(s.height).add(s.strokes.size());
  std::size_t bytes = sizeof(Strokes);
  for (const Stroke& st : s.strokes) {
    h.add(st.kind).add(st.width).bytes(&st.color, sizeof st.color).add(st.points.size());
    h.bytes(st.points.data(), st.points.size() * sizeof(StrokePoint));
    bytes += sizeof(Stroke) + st.points.size() * sizeof(StrokePoint);
  }
  auto p = std::make_shared<Payload>(payload(ValueKind::Strokes, std::move(s)));
  p->hash = h.digest();
  p->bytes = bytes;
  return Value(std::move(p));
}

Value Value::make_parts(PartSet parts) {
  Hasher h;
  h.add(ValueKind::PartSet).add(parts.size());
  std::size_t bytes = sizeof(PartSet);
  for (const Part& part : parts) {
    if (!part.image.empty() && part.image.kind() != ValueKind::Image && part.image.kind() != ValueKind::Mask)
      throw Error("part '" + part.name + "' must hold an Image, not " + std::string(kind_name(part.image.kind())));
    h.add(part.name).add(part.window.x).add(part.window.y).add(part.window.size);
    h.add(part.image.empty() ? 0 : part.image.hash());
    bytes += sizeof(Part) + part.name.size() + (part.image.empty() ? 0 : part.image.bytes());
  }
  auto p = std::make_shared<Payload>(payload(ValueKind::PartSet, std::move(parts)));
  p->hash = h.digest();
  p->bytes = bytes;
  return Value(std::move(p));
}

Value Value::make_scalar(double v) {
  auto p = std::make_shared<Payload>(payload(ValueKind::Scalar, v));
  p->hash = Hasher().add(ValueKind::Scalar).add(v).digest();
  p->bytes = sizeof(Payload);
  return Value(std::move(p));
}

Value Value::make_int(std::int64_t v) {
  auto p = std::make_shared<Payload>(payload(ValueKind::Int, v));
  p->hash = Hasher().add(ValueKind::Int).add(v).digest();
  p->bytes = sizeof(Payload);
  return Value(std::move(p));
}

Value Value::make_bool(bool v) {
  auto p = std::make_shared<Payload>(payload(ValueKind::Bool, v));
  p->hash = Hasher().add(ValueKind::Bool).add(v).digest();
  p->bytes = sizeof(Payload);
  return Value(std::move(p));
}

Value Value::make_string(std::string v) {
  std::uint64_t hash = Hasher().add(ValueKind::String).add(std::string_view(v)).digest();
  std::size_t bytes = sizeof(Payload) + v.size();
  auto p = std::make_shared<Payload>(payload(ValueKind::String, std::move(v)));
  p->hash = hash;
  p->bytes = bytes;
  return Value(std::move(p));
}

namespace {
// JSON has no NaN or infinity (dump() writes them as null, so they would share a hash with null).
bool all_numbers_finite(const nlohmann::json& j) {
  if (j.is_number_float()) return std::isfinite(j.get<double>());
  if (j.is_structured())
    for (const auto& item : j)
      if (!all_numbers_finite(item)) return false;
  return true;
}
}  // namespace

Value Value::make_record(ValueKind kind, nlohmann::json doc) {
  const RecordKindHooks* hooks = record_kind_hooks(kind);
  if (!hooks) throw Error(std::string(kind_name(kind)) + " is not a record kind");
  if (hooks->normalise) doc = hooks->normalise(doc);
  if (!doc.is_object()) throw Error("a " + std::string(kind_name(kind)) + " must be a JSON object, not " + doc.type_name());
  if (!all_numbers_finite(doc))
    throw Error("a " + std::string(kind_name(kind)) + " holds NaN or an infinity, which JSON cannot");
  std::string text;
  try {
    text = doc.dump();  // keys sorted: one text per content
  } catch (const nlohmann::json::exception& e) {
    throw Error("a " + std::string(kind_name(kind)) + " holds text that is not UTF-8: " + e.what());
  }
  auto p = std::make_shared<Payload>(payload(kind, std::make_shared<const nlohmann::json>(std::move(doc))));
  p->hash = Hasher().add(kind).add(std::string_view(text)).digest();
  p->bytes = sizeof(Payload) + 4 * text.size();  // the parsed document takes a few times its text
  return Value(std::move(p));
}

ValueKind Value::kind() const {
  if (!p_) throw Error("empty value has no kind");
  return p_->kind;
}

std::uint64_t Value::hash() const { return p_ ? p_->hash : 0; }
std::size_t Value::bytes() const { return p_ ? p_->bytes : 0; }

const Strokes& Value::strokes() const {
  if (!p_ || p_->kind != ValueKind::Strokes) wrong_kind(ValueKind::Strokes, *this);
  return std::get<Strokes>(p_->data);
}

const PartSet& Value::parts() const {
  if (!p_ || p_->kind != ValueKind::PartSet) wrong_kind(ValueKind::PartSet, *this);
  return std::get<PartSet>(p_->data);
}

double Value::scalar() const {
  if (p_ && p_->kind == ValueKind::Int) return static_cast<double>(std::get<std::int64_t>(p_->data));
  if (!p_ || p_->kind != ValueKind::Scalar) wrong_kind(ValueKind::Scalar, *this);
  return std::get<double>(p_->data);
}

std::int64_t Value::integer() const {
  if (!p_ || p_->kind != ValueKind::Int) wrong_kind(ValueKind::Int, *this);
  return std::get<std::int64_t>(p_->data);
}

bool Value::boolean() const {
  if (!p_ || p_->kind != ValueKind::Bool) wrong_kind(ValueKind::Bool, *this);
  return std::get<bool>(p_->data);
}

const std::string& Value::string() const {
  if (!p_ || p_->kind != ValueKind::String) wrong_kind(ValueKind::String, *this);
  return std::get<std::string>(p_->data);
}

const nlohmann::json& Value::record() const {
  if (!p_ || !std::holds_alternative<Payload::RecordPtr>(p_->data))
    throw Error("expected a record value, got " + (p_ ? std::string(kind_name(p_->kind)) : std::string("nothing")));
  return *std::get<Payload::RecordPtr>(p_->data);
}

const at::Tensor& Value::tensor() const {
  if (!p_ || !std::holds_alternative<Payload::TensorPtr>(p_->data)) wrong_kind(ValueKind::Image, *this);
  return *std::get<Payload::TensorPtr>(p_->data);
}

}  // namespace sumi
