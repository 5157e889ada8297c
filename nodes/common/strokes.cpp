#include "nodes/common/strokes.h"

#include <nlohmann/json.hpp>

#include "engine/hash.h"
#include "engine/kind_registry.h"
#include "nodes/common/strokes_file.h"

namespace sumi {

std::string_view stroke_kind_name(StrokeKind kind) {
  switch (kind) {
    case StrokeKind::Line: return "line";
    case StrokeKind::Hint: return "hint";
    case StrokeKind::Erase: return "erase";
  }
  return "line";
}

ValueKind strokes_kind() {
  static const ValueKind kind = [] {
    const KindOriginScope origin("built-in");  // the drawing library's, even if first used while a plugin loads
    return register_object_kind(
        {"Strokes", "a drawing: canvas size and strokes (lines, colour hints, erasers)", "#c9a227", "built-in"},
        object_kind_hooks<Strokes>([](const Strokes& s) { return std::to_string(s.strokes.size()) + " strokes"; },
                                   [](const Strokes& s) { return nlohmann::json::parse(strokes_to_json(s)); },
                                   [](const nlohmann::json& j) { return make_strokes(parse_strokes(j.dump(), "<strokes>")); }));
  }();
  return kind;
}

Value make_strokes(Strokes s) {
  Hasher h;
  h.add(s.width).add(s.height).add(s.strokes.size());
  std::size_t bytes = sizeof(Strokes);
  for (const Stroke& st : s.strokes) {
    h.add(st.kind).add(st.width).bytes(&st.color, sizeof st.color).add(st.points.size());
    h.bytes(st.points.data(), st.points.size() * sizeof(StrokePoint));
    bytes += sizeof(Stroke) + st.points.size() * sizeof(StrokePoint);
  }
  const std::uint64_t hash = h.digest();
  return Value::make_object(strokes_kind(), std::move(s), hash, bytes);
}

const Strokes& strokes_of(const Value& v) { return v.object<Strokes>(strokes_kind()); }

}  // namespace sumi
