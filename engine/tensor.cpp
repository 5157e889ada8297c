#include "engine/tensor.h"

#include <algorithm>
#include <sstream>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/kind_registry.h"
#include "engine/value_payload.h"

namespace sumi {

std::uint64_t hash_tensor(const at::Tensor& t) {
  at::Tensor c = t.is_cpu() ? t.contiguous() : t.cpu().contiguous();
  Hasher h;
  h.add(static_cast<int>(c.scalar_type())).add(c.dim());
  for (std::int64_t s : c.sizes()) h.add(s);
  h.bytes(c.data_ptr(), c.numel() * c.element_size());
  return h.digest();
}

Value make_tensor_value(ValueKind kind, const at::Tensor& t) {
  if (!t.defined()) throw Error("cannot make a " + std::string(kind_name(kind)) + " from an undefined tensor");
  const auto dim = t.dim();
  bool ok = false;
  std::string shape_doc;
  switch (kind) {
    case ValueKind::Image:
      ok = dim == 4 && t.size(1) >= 1 && t.size(1) <= 4;
      shape_doc = "N x C x H x W (C in 1..4)";
      break;
    case ValueKind::Mask:
      ok = dim == 4 && t.size(1) == 1;
      shape_doc = "N x 1 x H x W";
      break;
    default: {
      if (!is_tensor_kind(kind)) throw Error(std::string(kind_name(kind)) + " is not a tensor kind");
      const TensorKindShape* shape = tensor_kind_shape(kind);  // a registered kind: the ranks it declared
      const bool any = !shape || shape->ranks.empty();
      ok = dim >= 1 && (any || std::find(shape->ranks.begin(), shape->ranks.end(), dim) != shape->ranks.end());
      shape_doc = any ? "at least one dimension" : !shape->doc.empty() ? shape->doc : std::to_string(shape->ranks.front()) + " dimensions";
    }
  }
  if (!ok) {
    std::ostringstream os;
    os << "a " << kind_name(kind) << " needs shape " << shape_doc << ", got " << t.sizes();
    throw Error(os.str());
  }
  at::Tensor c = t.scalar_type() == at::kFloat ? t.contiguous() : t.to(at::kFloat).contiguous();
  auto p = std::make_shared<Value::Payload>();
  p->kind = kind;
  p->hash = Hasher().add(kind).add(hash_tensor(c)).digest();
  p->bytes = sizeof(Value::Payload) + static_cast<std::size_t>(c.numel()) * sizeof(float);
  p->data = std::make_shared<const at::Tensor>(std::move(c));
  return Value(std::move(p));
}

std::string Value::describe() const {
  if (!p_) return "empty";
  std::ostringstream os;
  os << kind_name(p_->kind);
  if (const RecordKindHooks* hooks = record_kind_hooks(p_->kind)) {
    if (hooks->describe) return os.str() + ' ' + hooks->describe(record());
    std::string text = record().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 80) {
      std::size_t cut = 77;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
      text = text.substr(0, cut) + "...";
    }
    return os.str() + ' ' + text;
  }
  if (is_tensor_kind(p_->kind)) {
    const at::Tensor& t = tensor();
    os << ' ';
    for (std::int64_t i = 0; i < t.dim(); ++i) os << (i ? "x" : "") << t.size(i);
    os << ' ' << t.device();
    return os.str();
  }
  if (const ObjectKindHooks* hooks = object_kind_hooks(p_->kind)) {
    if (hooks->describe) os << ' ' << hooks->describe(object_data());
    return os.str();
  }
  switch (p_->kind) {
    case ValueKind::Scalar: os << ' ' << scalar(); break;
    case ValueKind::Int: os << ' ' << integer(); break;
    case ValueKind::Bool: os << ' ' << (boolean() ? "true" : "false"); break;
    case ValueKind::String: os << " \"" << string() << '"'; break;
    default: break;
  }
  return os.str();
}

}  // namespace sumi
