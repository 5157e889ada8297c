// Synthesis-model manifests: the checks, apart from loading the models (no
// LibTorch here, so that fuzz/ can link it alone).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "nodes/latent/part_models.h"  // manifest_int, manifest_window
#include "nodes/synth/synth_models.h"

namespace sumi {

const SynthPart& SynthModels::part(const std::string& name) const {
  auto it = parts.find(name);
  if (it == parts.end()) throw Error(ErrorContext{path, {}, {}, {}, {}}, "the manifest has no part '" + name + "'");
  return it->second;
}

std::shared_ptr<SynthModels> parse_synth_models(const nlohmann::json& j, const std::string& manifest_path) {
  ErrorContext ctx;
  ctx.file = manifest_path;
  auto sm = std::make_shared<SynthModels>();
  sm->path = manifest_path;
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  auto file = [&](const std::string& f) { return f.empty() ? f : (dir / f).lexically_normal().string(); };
  const int M = kManifestMaxSize;
  sm->size = manifest_int(j, "size", ctx, "the manifest", 1, M);
  sm->channels = manifest_int(j, "channels", ctx, "the manifest", 1, 1 << 16, 32);
  sm->hint_size = manifest_int(j, "hint_size", ctx, "the manifest", 1, M, std::max(1, sm->size / 2));
  sm->latent = manifest_int(j, "latent", ctx, "the manifest", 1, 1 << 20, 512);
  const int canvas = manifest_int(j, "canvas", ctx, "the manifest", 1, M, 256);
  if (!j.contains("generator") || !j["generator"].is_string()) throw Error(ctx, "\"generator\" must be a file name");
  sm->generator = file(j["generator"].get<std::string>());
  sm->guided = j.contains("guide");
  // |window| <= 16384 and size / canvas <= 16384: the scaled values fit an int.
  const double scale = static_cast<double>(sm->size) / canvas;
  auto scaled = [&](int v) { return static_cast<int>(std::floor(v * scale + 0.5)); };
  if (!j.contains("parts") || !j["parts"].is_object()) throw Error(ctx, "the manifest has no \"parts\"");
  for (auto it = j["parts"].begin(); it != j["parts"].end(); ++it) {
    const auto& p = it.value();
    SynthPart part;
    part.name = it.key();
    const std::string what = "part '" + part.name + "'";
    if (!p.is_object()) throw Error(ctx, what + " must be an object");
    const Window w = manifest_window(p, ctx, what);
    part.window = {scaled(w.x), scaled(w.y), std::max(1, scaled(w.size))};
    part.map_size = manifest_int(p, "map_size", ctx, what, 1, M, 32);
    if (!p.contains("feature_decoder") || !p["feature_decoder"].is_string())
      throw Error(ctx, what + ": \"feature_decoder\" must be a file name");
    part.feature_decoder = file(p["feature_decoder"].get<std::string>());
    sm->parts[part.name] = part;
  }
  if (!sm->parts.count("remainder")) throw Error(ctx, "the manifest has no \"remainder\" part");
  return sm;
}

}  // namespace sumi
