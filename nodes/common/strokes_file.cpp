#include "nodes/common/strokes_file.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/json_util.h"

namespace sumi {
namespace {

using Json = nlohmann::ordered_json;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

float number(const Json& j, const ErrorContext& ctx, const std::string& where) {
  if (!j.is_number()) throw Error(ctx, where + ": expected a number, got " + j.dump());
  double d = j.get<double>();
  if (!std::isfinite(d) || std::fabs(d) > 1e6) throw Error(ctx, where + ": " + j.dump() + " is not a usable coordinate");
  return static_cast<float>(d);
}

}  // namespace

bool parse_color(std::string_view text, Rgba& out) {
  if ((text.size() != 7 && text.size() != 9) || text[0] != '#') return false;
  std::uint8_t v[4] = {0, 0, 0, 255};
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    int hi = hex(text[i + 1]), lo = i + 2 < text.size() ? hex(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    v[i / 2] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  out = {v[0], v[1], v[2], v[3]};
  return true;
}

std::string color_to_string(const Rgba& c) {
  char buf[10];
  if (c.a == 255) std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  else std::snprintf(buf, sizeof buf, "#%02x%02x%02x%02x", c.r, c.g, c.b, c.a);
  return buf;
}

Strokes parse_strokes(std::string_view text, const std::string& source) {
  // At most 4 values a point and 8 a stroke: a file holding more stops the
  // parser before its tree is built (a 256 MB file of points takes gigabytes).
  constexpr std::size_t kMaxValues = 4 * kMaxStrokePoints + 8 * kMaxStrokes + 64;
  Json j;
  try {
    j = parse_json(text, source, kMaxValues);
  } catch (const Error& e) {
    if (e.message().find(std::to_string(kMaxValues) + " values") == std::string::npos) throw;
    throw Error(e.context(), "more JSON values than a strokes file of " + std::to_string(kMaxStrokePoints) +
                                 " points (the most it may hold) can have");
  }
  ErrorContext ctx;
  ctx.file = source;
  if (!j.is_object() || !j.contains("format") || j["format"] != "sumi.strokes")
    throw Error(ctx, "not a Sumi strokes file (expected \"format\": \"sumi.strokes\")");
  if (!j.contains("version") || !j["version"].is_number_integer()) throw Error(ctx, "missing integer \"version\"");
  if (j["version"].get<std::int64_t>() > kStrokesFormatVersion)
    throw Error(ctx, "file version " + j["version"].dump() + " is newer than this Sumi supports (" +
                         std::to_string(kStrokesFormatVersion) + ")");
  Strokes s;
  const Json& canvas = j.value("canvas", Json());
  if (!canvas.is_array() || canvas.size() != 2 || !canvas[0].is_number_integer() || !canvas[1].is_number_integer())
    throw Error(ctx, "\"canvas\" must be [width, height] in pixels");
  // Checked as 64-bit values: get<int>() wrapped [4294967297, 8] to a 1-pixel-wide canvas.
  const bool huge = (canvas[0].is_number_unsigned() && canvas[0].get<std::uint64_t>() > kMaxCanvas) ||
                    (canvas[1].is_number_unsigned() && canvas[1].get<std::uint64_t>() > kMaxCanvas);
  const std::int64_t width = huge ? 0 : canvas[0].get<std::int64_t>(), height = huge ? 0 : canvas[1].get<std::int64_t>();
  if (width < 1 || height < 1 || width > kMaxCanvas || height > kMaxCanvas)
    throw Error(ctx, "canvas " + canvas.dump() + " must be 1.." + std::to_string(kMaxCanvas) + " pixels each way");
  s.width = static_cast<int>(width);
  s.height = static_cast<int>(height);
  if (!j.contains("strokes") || !j["strokes"].is_array()) throw Error(ctx, "\"strokes\" must be a list");
  const Json& strokes = j["strokes"];
  if (strokes.size() > kMaxStrokes)
    throw Error(ctx, std::to_string(strokes.size()) + " strokes, more than the " + std::to_string(kMaxStrokes) +
                         " a strokes file may hold");
  std::size_t points = 0;
  for (std::size_t i = 0; i < strokes.size(); ++i) {
    const Json& js = strokes[i];
    const std::string where = "stroke " + std::to_string(i);
    if (!js.is_object()) throw Error(ctx, where + ": must be an object");
    Stroke st;
    if (js.contains("kind") && !js["kind"].is_string())  // js.value() would throw json's type_error 302
      throw Error(ctx, where + ": kind must be \"line\", \"hint\" or \"erase\", got " + js["kind"].dump());
    std::string kind = js.value("kind", std::string("line"));
    if (kind == "line") st.kind = StrokeKind::Line;
    else if (kind == "hint") st.kind = StrokeKind::Hint;
    else if (kind == "erase") st.kind = StrokeKind::Erase;
    else throw Error(ctx, where + ": unknown kind \"" + kind + "\" (line, hint or erase)");
    if (js.contains("width")) st.width = number(js["width"], ctx, where + " width");
    if (!(st.width > 0 && st.width <= 1000)) throw Error(ctx, where + ": width must be in (0, 1000]");
    if (js.contains("color")) {
      if (!js["color"].is_string() || !parse_color(js["color"].get<std::string>(), st.color))
        throw Error(ctx, where + ": color must be \"#rrggbb\" or \"#rrggbbaa\", got " + js["color"].dump());
    }
    if (!js.contains("points") || !js["points"].is_array()) throw Error(ctx, where + ": \"points\" must be a list");
    const Json& pts = js["points"];
    points += pts.size();
    if (points > kMaxStrokePoints)
      throw Error(ctx, where + ": more than " + std::to_string(kMaxStrokePoints) +
                           " points in the file's strokes together (the most a strokes file may hold)");
    st.points.reserve(pts.size());
    for (std::size_t k = 0; k < pts.size(); ++k) {
      const std::string pw = where + ", point " + std::to_string(k);
      const Json& p = pts[k];
      if (!p.is_array() || p.size() < 2 || p.size() > 3) throw Error(ctx, pw + ": must be [x, y] or [x, y, pressure]");
      StrokePoint sp{number(p[0], ctx, pw), number(p[1], ctx, pw), p.size() == 3 ? number(p[2], ctx, pw) : 1.0f};
      if (sp.pressure < 0 || sp.pressure > 1) throw Error(ctx, pw + ": pressure must be in 0..1");
      st.points.push_back(sp);
    }
    for (auto it = js.begin(); it != js.end(); ++it)
      if (it.key() != "kind" && it.key() != "width" && it.key() != "color" && it.key() != "points")
        throw Error(ctx, where + ": unknown field '" + it.key() + "'");
    s.strokes.push_back(std::move(st));
  }
  return s;
}

Strokes load_strokes_file(const std::string& path) { return parse_strokes(read_file(path), path); }

std::string strokes_to_json(const Strokes& s) {
  Json j;
  j["format"] = "sumi.strokes";
  j["version"] = kStrokesFormatVersion;
  j["canvas"] = {s.width, s.height};
  Json strokes = Json::array();
  for (const Stroke& st : s.strokes) {
    Json js;
    js["kind"] = std::string(stroke_kind_name(st.kind));
    js["width"] = st.width;
    js["color"] = color_to_string(st.color);
    Json pts = Json::array();
    for (const StrokePoint& p : st.points) {
      Json jp = {p.x, p.y};
      if (p.pressure != 1.0f) jp.push_back(p.pressure);
      pts.push_back(std::move(jp));
    }
    js["points"] = std::move(pts);
    strokes.push_back(std::move(js));
  }
  j["strokes"] = std::move(strokes);
  return dump_json(j);
}

void save_strokes_file(const Strokes& s, const std::string& path) { write_file_atomic(path, strokes_to_json(s)); }

}  // namespace sumi
