#include "engine/kind_registry.h"

#include <array>
#include <atomic>
#include <cctype>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace sumi {
namespace {

// The built-in kinds' descriptions, in ValueKind order.
const std::array<KindInfo, 6>& builtin_kinds() {
  static const std::array<KindInfo, 6> kinds = {{
      {"Image", "float tensor N x C x H x W, C 1-4, values in 0..1", "#5b8dd6", "built-in"},
      {"Mask", "float tensor N x 1 x H x W, values in 0..1 (feeds Image ports too)", "#8aa4c8", "built-in"},
      {"Scalar", "a number", "#7f7f7f", "built-in"},
      {"Int", "an integer (feeds Scalar ports too)", "#6f8f6f", "built-in"},
      {"Bool", "true or false", "#8f6f6f", "built-in"},
      {"String", "text", "#a0a0a0", "built-in"},
  }};
  return kinds;
}

std::mutex registration_mutex;
std::array<std::atomic<const KindInfo*>, kMaxRegisteredKinds> registered{};  // never freed: names stay valid
std::array<std::atomic<const RecordKindHooks*>, kMaxRegisteredKinds> record_hooks{};  // set before `registered`
std::array<std::atomic<const TensorKindShape*>, kMaxRegisteredKinds> tensor_shapes{};  // set before `registered`
std::array<std::atomic<const ObjectKindHooks*>, kMaxRegisteredKinds> object_hooks{};   // set before `registered`
int registered_count = 0;                                                    // under registration_mutex
thread_local std::string t_origin;

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 40 || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

bool valid_colour(const std::string& c) {
  if (c.empty()) return true;
  if (c.size() != 7 || c[0] != '#') return false;
  for (std::size_t i = 1; i < c.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(c[i]))) return false;
  return true;
}

}  // namespace

KindOriginScope::KindOriginScope(std::string origin) : previous_(std::move(t_origin)) { t_origin = std::move(origin); }
KindOriginScope::~KindOriginScope() { t_origin = std::move(previous_); }

namespace {

const char* storage_name(bool record, bool object) { return record ? "a record" : object ? "an object" : "a tensor"; }

ValueKind register_kind(KindInfo info, const RecordKindHooks* hooks, const TensorKindShape* shape,
                        const ObjectKindHooks* object = nullptr) {
  if (!t_origin.empty()) info.origin = t_origin;
  if (info.origin.empty()) info.origin = "built-in";
  if (!valid_name(info.name))
    throw Error("value kind name '" + info.name + "' must start with a letter and hold only letters, digits and '_' (at most 40)");
  if (!valid_colour(info.colour))
    throw Error("value kind '" + info.name + "': colour '" + info.colour + "' must be written #rrggbb");
  for (const KindInfo& b : builtin_kinds())
    if (b.name == info.name) throw Error("value kind '" + info.name + "' is a built-in kind: choose another name");
  std::lock_guard<std::mutex> lock(registration_mutex);
  for (int i = 0; i < registered_count; ++i) {
    const KindInfo* k = registered[static_cast<std::size_t>(i)].load(std::memory_order_acquire);
    if (k->name != info.name) continue;
    if (k->origin != info.origin)
      throw Error("value kind '" + info.name + "' is already defined by " + k->origin + " (registering it from " +
                  info.origin + "): rename one of them");
    const bool was_record = record_hooks[static_cast<std::size_t>(i)].load(std::memory_order_acquire) != nullptr;
    const ObjectKindHooks* was_object = object_hooks[static_cast<std::size_t>(i)].load(std::memory_order_acquire);
    if (was_record != (hooks != nullptr) || (was_object != nullptr) != (object != nullptr))
      throw Error("value kind '" + info.name + "' is already registered as " +
                  storage_name(was_record, was_object != nullptr) + " kind by " + k->origin);
    if (was_object && *was_object->type != *object->type)
      throw Error("value kind '" + info.name + "' is already registered by " + k->origin + " for another C++ type");
    return static_cast<ValueKind>(kFirstRegisteredKind + i);
  }
  if (registered_count == kMaxRegisteredKinds)
    throw Error("value kind '" + info.name + "': no room for more than " + std::to_string(kMaxRegisteredKinds) + " registered kinds");
  const auto slot = static_cast<std::size_t>(registered_count);
  if (hooks) record_hooks[slot].store(new RecordKindHooks(*hooks), std::memory_order_release);
  if (shape) tensor_shapes[slot].store(new TensorKindShape(*shape), std::memory_order_release);
  if (object) object_hooks[slot].store(new ObjectKindHooks(*object), std::memory_order_release);
  registered[slot].store(new KindInfo(std::move(info)), std::memory_order_release);
  return static_cast<ValueKind>(kFirstRegisteredKind + registered_count++);
}

}  // namespace

ValueKind register_tensor_kind(KindInfo info, TensorKindShape shape) { return register_kind(std::move(info), nullptr, &shape); }

ValueKind register_record_kind(KindInfo info, RecordKindHooks hooks) {
  return register_kind(std::move(info), &hooks, nullptr);
}

ValueKind register_object_kind(KindInfo info, ObjectKindHooks hooks) {
  if (!hooks.type) throw Error("value kind '" + info.name + "': an object kind needs its C++ type (object_kind_hooks<T>)");
  return register_kind(std::move(info), nullptr, nullptr, &hooks);
}

const KindInfo& kind_info(ValueKind kind) {
  const int id = static_cast<int>(kind);
  if (id < static_cast<int>(builtin_kinds().size())) return builtin_kinds()[static_cast<std::size_t>(id)];
  if (id >= kFirstRegisteredKind) {
    if (const KindInfo* k = registered[static_cast<std::size_t>(id - kFirstRegisteredKind)].load(std::memory_order_acquire))
      return *k;
  }
  // An id nothing registered (a corrupt value): named, never a crash.
  static const std::array<KindInfo, 256> unknown = [] {
    std::array<KindInfo, 256> a;
    for (int i = 0; i < 256; ++i) a[static_cast<std::size_t>(i)] = {"Kind#" + std::to_string(i), "unknown kind", "", ""};
    return a;
  }();
  return unknown[static_cast<std::size_t>(id)];
}

bool is_registered_kind(ValueKind kind) {
  const int id = static_cast<int>(kind);
  return id >= kFirstRegisteredKind &&
         registered[static_cast<std::size_t>(id - kFirstRegisteredKind)].load(std::memory_order_acquire) != nullptr;
}

const RecordKindHooks* record_kind_hooks(ValueKind kind) {
  if (!is_registered_kind(kind)) return nullptr;
  return record_hooks[static_cast<std::size_t>(static_cast<int>(kind) - kFirstRegisteredKind)].load(std::memory_order_acquire);
}

bool is_record_kind(ValueKind kind) { return record_kind_hooks(kind) != nullptr; }

const TensorKindShape* tensor_kind_shape(ValueKind kind) {
  if (!is_registered_kind(kind)) return nullptr;
  return tensor_shapes[static_cast<std::size_t>(static_cast<int>(kind) - kFirstRegisteredKind)].load(std::memory_order_acquire);
}

bool is_tensor_kind(ValueKind kind) {
  switch (kind) {
    case ValueKind::Image:
    case ValueKind::Mask: return true;
    default: return tensor_kind_shape(kind) != nullptr;
  }
}

const ObjectKindHooks* object_kind_hooks(ValueKind kind) {
  if (!is_registered_kind(kind)) return nullptr;
  return object_hooks[static_cast<std::size_t>(static_cast<int>(kind) - kFirstRegisteredKind)].load(std::memory_order_acquire);
}

bool is_object_kind(ValueKind kind) { return object_kind_hooks(kind) != nullptr; }

std::vector<ValueKind> all_kinds() {
  std::vector<ValueKind> out;
  for (std::size_t i = 0; i < builtin_kinds().size(); ++i) out.push_back(static_cast<ValueKind>(i));
  for (int i = 0; i < kMaxRegisteredKinds; ++i)
    if (registered[static_cast<std::size_t>(i)].load(std::memory_order_acquire)) out.push_back(static_cast<ValueKind>(kFirstRegisteredKind + i));
  return out;
}

}  // namespace sumi
