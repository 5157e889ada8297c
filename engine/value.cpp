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

Value Value::make_object_of(ValueKind kind, std::shared_ptr<const void> object, const std::type_info& type,
                            std::uint64_t content_hash, std::size_t bytes) {
  const ObjectKindHooks* hooks = object_kind_hooks(kind);
  if (!hooks) throw Error(std::string(kind_name(kind)) + " is not an object kind");
  if (*hooks->type != type) throw Error("a " + std::string(kind_name(kind)) + " value made from another C++ type");
  auto p = std::make_shared<Payload>(payload(kind, Payload::ObjectPtr(std::move(object))));
  p->hash = Hasher().add(kind).add(content_hash).digest();
  p->bytes = sizeof(Payload) + bytes;
  return Value(std::move(p));
}

ValueKind Value::kind() const {
  if (!p_) throw Error("empty value has no kind");
  return p_->kind;
}

std::uint64_t Value::hash() const { return p_ ? p_->hash : 0; }
std::size_t Value::bytes() const { return p_ ? p_->bytes : 0; }

const void* Value::object_data() const {
  if (!p_ || !std::holds_alternative<Payload::ObjectPtr>(p_->data))
    throw Error("expected an object value, got " + (p_ ? std::string(kind_name(p_->kind)) : std::string("nothing")));
  return std::get<Payload::ObjectPtr>(p_->data).get();
}

const void* Value::object_of(ValueKind kind, const std::type_info& type) const {
  if (!p_ || p_->kind != kind || !std::holds_alternative<Payload::ObjectPtr>(p_->data)) wrong_kind(kind, *this);
  if (*object_kind_hooks(kind)->type != type)
    throw Error("a " + std::string(kind_name(kind)) + " value read as another C++ type");
  return std::get<Payload::ObjectPtr>(p_->data).get();
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
