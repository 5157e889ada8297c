#include "nodes/face/face_frame.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/kind_registry.h"

namespace sumi {
namespace {

using Json = nlohmann::json;

[[noreturn]] void bad(const std::string& what) { throw Error("a Frame's " + what); }

const Json& field(const Json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end()) bad(std::string("'") + name + "' is missing");
  return *it;
}

int integer(const Json& j, const std::string& what) {
  if (!j.is_number()) bad(what + " must be a number, not " + j.type_name());
  const double d = j.get<double>();
  if (d != std::floor(d) || std::abs(d) > std::numeric_limits<int>::max()) bad(what + " must be a whole number");
  return static_cast<int>(d);
}

double number(const Json& j, const std::string& what) {
  if (!j.is_number()) bad(what + " must be a number, not " + j.type_name());
  return j.get<double>();
}

std::string describe_frame(const Json& doc) {
  const FaceFrame f = frame_from_json(doc);
  std::ostringstream os;
  os << "scale " << f.scale() << " rotation " << f.rotation_deg() << " at (" << f.matrix[2] << ", " << f.matrix[5]
     << ")" << (f.located ? "" : " (not located: canonical)");
  return os.str();
}

}  // namespace

double FaceFrame::scale() const { return std::sqrt(std::abs(matrix[0] * matrix[4] - matrix[1] * matrix[3])); }
double FaceFrame::rotation_deg() const { return std::atan2(matrix[3], matrix[0]) * 180.0 / M_PI; }
const FaceBox* FaceFrame::part(std::string_view name) const {
  for (const FaceBox& b : parts)
    if (b.name == name) return &b;
  return nullptr;
}

Json frame_to_json(const FaceFrame& f) {
  Json parts = Json::object();
  for (const FaceBox& b : f.parts) parts[b.name] = {b.cx, b.cy, b.w, b.h};
  return {{"canonical", f.canonical},
          {"size", {f.width, f.height}},
          {"matrix", {{f.matrix[0], f.matrix[1], f.matrix[2]}, {f.matrix[3], f.matrix[4], f.matrix[5]}}},
          {"located", f.located},
          {"parts", std::move(parts)},
          {"scale", f.scale()},
          {"rotation_deg", f.rotation_deg()}};
}

FaceFrame frame_from_json(const Json& doc) {
  if (!doc.is_object()) bad(std::string("document must be an object, not ") + doc.type_name());
  FaceFrame f;
  f.canonical = integer(field(doc, "canonical"), "'canonical'");
  const Json& size = field(doc, "size");
  if (!size.is_array() || size.size() != 2) bad("'size' is [width, height]");
  f.width = integer(size[0], "width");
  f.height = integer(size[1], "height");
  const Json& m = field(doc, "matrix");
  if (!m.is_array() || m.size() != 2 || !m[0].is_array() || !m[1].is_array() || m[0].size() != 3 || m[1].size() != 3)
    bad("'matrix' is 2 x 3: [[a, b, c], [d, e, f]]");
  for (std::size_t i = 0; i < 6; ++i) f.matrix[i] = number(m[i / 3][i % 3], "matrix entry");
  if (auto it = doc.find("located"); it != doc.end()) {
    if (!it->is_boolean()) bad("'located' must be true or false");
    f.located = it->get<bool>();
  }
  if (auto it = doc.find("parts"); it != doc.end()) {
    if (!it->is_object()) bad("'parts' must map part names to [cx, cy, w, h]");
    for (const auto& [name, box] : it->items()) {
      if (!box.is_array() || box.size() != 4) bad("part '" + name + "' is [cx, cy, w, h]");
      f.parts.push_back({name, number(box[0], "part '" + name + "'"), number(box[1], "part '" + name + "'"),
                         number(box[2], "part '" + name + "'"), number(box[3], "part '" + name + "'")});
    }
  }
  std::sort(f.parts.begin(), f.parts.end(), [](const FaceBox& a, const FaceBox& b) { return a.name < b.name; });
  return f;
}

ValueKind frame_kind() {
  static const ValueKind kind = [] {
    const KindOriginScope origin("built-in");  // the face library's, even if first used while a plugin loads
    RecordKindHooks hooks;
    hooks.normalise = [](const Json& doc) { return frame_to_json(frame_from_json(doc)); };
    hooks.describe = describe_frame;
    return register_record_kind(
        {"Frame", "where a face sits in an image: canonical frame -> image, and its part boxes (face library)", "#c45f8a", "built-in"},
        std::move(hooks));
  }();
  return kind;
}

Value make_frame_value(const FaceFrame& frame) { return Value::make_record(frame_kind(), frame_to_json(frame)); }

FaceFrame frame_of(const Value& v) {
  if (v.empty() || v.kind() != frame_kind())
    throw Error("expected a Frame value, got " + (v.empty() ? std::string("nothing") : std::string(kind_name(v.kind()))));
  return frame_from_json(v.record());
}

}  // namespace sumi
