// Manifests: reading and checking, apart from the models they name (no
// LibTorch here, so that fuzz/ can link it alone).
#include <cmath>
#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/atomic_file.h"
#include "engine/json_util.h"
#include "nodes/latent/part_models.h"

namespace sumi {

const PartModel& PartModels::part(const std::string& name) const {
  auto it = parts.find(name);
  if (it == parts.end()) throw Error(ErrorContext{path, {}, {}, {}, {}}, "the manifest has no part '" + name + "'");
  return it->second;
}

nlohmann::json read_manifest(const std::string& path, const std::string& format, const std::string& kind) {
  const ErrorContext ctx{path, {}, {}, {}, {}};
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = parse_json_unordered(text, path);  // depth- and UTF-8-checked, with line and column
  } catch (const Error& e) {
    throw Error(ctx, "malformed manifest: " + e.message());
  }
  // Not j.value("format", ""): a non-string "format" threw json's type_error 302.
  if (!j.is_object() || !j.contains("format") || j["format"] != format)
    throw Error(ctx, "not a Sumi " + kind + " manifest (\"format\": \"" + format + "\")");
  return j;
}

int manifest_int(const nlohmann::json& obj, const char* key, const ErrorContext& ctx, const std::string& what, int lo,
                 int hi, std::optional<int> def) {
  const auto it = obj.is_object() ? obj.find(key) : obj.end();
  if (!obj.is_object() || it == obj.end()) {
    if (def) return *def;
    throw Error(ctx, what + ": \"" + key + "\" is missing");
  }
  const nlohmann::json& v = *it;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(hi) && static_cast<std::int64_t>(u) >= lo) return static_cast<int>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= lo && i <= hi) return static_cast<int>(i);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= lo && d <= hi) return static_cast<int>(d);
  }
  throw Error(ctx, what + ": \"" + key + "\" must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", not " + utf8_safe(v.dump().substr(0, 40)));
}

Window manifest_window(const nlohmann::json& obj, const ErrorContext& ctx, const std::string& what) {
  const auto it = obj.is_object() ? obj.find("window") : obj.end();
  if (!obj.is_object() || it == obj.end()) throw Error(ctx, what + ": \"window\" is missing");
  if (!it->is_array() || it->size() != 3) throw Error(ctx, what + ": window must be [x, y, size]");
  const nlohmann::json xyz = {{"x", (*it)[0]}, {"y", (*it)[1]}, {"size", (*it)[2]}};
  return {manifest_int(xyz, "x", ctx, what + ": window", -kManifestMaxSize, kManifestMaxSize),
          manifest_int(xyz, "y", ctx, what + ": window", -kManifestMaxSize, kManifestMaxSize),
          manifest_int(xyz, "size", ctx, what + ": window", 1, kManifestMaxSize)};
}

std::shared_ptr<PartModels> parse_part_models(const nlohmann::json& j, const std::string& manifest_path) {
  ErrorContext ctx;
  ctx.file = manifest_path;
  auto pm = std::make_shared<PartModels>();
  pm->path = manifest_path;
  pm->canvas = manifest_int(j, "canvas", ctx, "the manifest", 1, kManifestMaxSize, 256);
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  if (!j.contains("parts") || !j["parts"].is_object()) throw Error(ctx, "the manifest has no \"parts\"");
  for (auto it = j["parts"].begin(); it != j["parts"].end(); ++it) {
    const auto& p = it.value();
    PartModel m;
    m.name = it.key();
    const std::string what = "part '" + m.name + "'";
    if (!p.is_object()) throw Error(ctx, what + " must be an object");
    m.window = manifest_window(p, ctx, what);
    m.input_size = manifest_int(p, "input_size", ctx, what, 1, kManifestMaxSize, 64);
    m.latent = manifest_int(p, "latent", ctx, what, 1, 1 << 20, 512);
    auto file = [&](const char* key) {
      const auto f = p.find(key);
      if (f == p.end()) return std::string();
      if (!f->is_string()) throw Error(ctx, what + ": \"" + key + "\" must be a file name");
      const std::string name = f->get<std::string>();
      return name.empty() ? name : (dir / name).lexically_normal().string();
    };
    m.encoder = file("encoder");
    m.decoder = file("decoder");
    m.bank = file("bank");
    pm->parts[m.name] = m;
  }
  return pm;
}

}  // namespace sumi
