#include "nodes/common/part_set.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/kind_registry.h"

namespace sumi {

ValueKind parts_kind() {
  static const ValueKind kind = [] {
    const KindOriginScope origin("built-in");  // the node libraries', even if first used while a plugin loads
    return register_object_kind(
        {"PartSet", "named image crops with their windows on the canvas", "#d67b5b", "built-in"},
        object_kind_hooks<PartSet>([](const PartSet& p) { return std::to_string(p.size()) + " parts"; }));
  }();
  return kind;
}

Value make_parts(PartSet parts) {
  Hasher h;
  h.add(parts.size());
  std::size_t bytes = sizeof(PartSet);
  for (const Part& part : parts) {
    if (!part.image.empty() && part.image.kind() != ValueKind::Image && part.image.kind() != ValueKind::Mask)
      throw Error("part '" + part.name + "' must hold an Image, not " + std::string(kind_name(part.image.kind())));
    h.add(part.name).add(part.window.x).add(part.window.y).add(part.window.size);
    h.add(part.image.empty() ? 0 : part.image.hash());
    bytes += sizeof(Part) + part.name.size() + (part.image.empty() ? 0 : part.image.bytes());
  }
  const std::uint64_t hash = h.digest();
  return Value::make_object(parts_kind(), std::move(parts), hash, bytes);
}

const PartSet& parts_of(const Value& v) { return v.object<PartSet>(parts_kind()); }

}  // namespace sumi
