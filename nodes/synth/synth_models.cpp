#include "nodes/synth/synth_models.h"

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/model_store.h"
#include "nodes/latent/part_models.h"  // read_manifest

namespace sumi {

const SynthPart& SynthModels::part(const std::string& name) const {
  auto it = parts.find(name);
  if (it == parts.end()) throw Error(ErrorContext{path, {}, {}, {}, {}}, "the manifest has no part '" + name + "'");
  return it->second;
}

std::string default_synth_manifest() { return std::string(SUMI_MODELS_DIR) + "/synth/manifest.json"; }

std::shared_ptr<const SynthModels> load_synth_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<SynthModels>(manifest_path, "synth-manifest", [&] {
    ErrorContext ctx;
    ctx.file = manifest_path;
    const nlohmann::json j = read_manifest(manifest_path, "sumi.synth", "synthesis-model");
    auto sm = std::make_shared<SynthModels>();
    sm->path = manifest_path;
    const auto dir = std::filesystem::path(manifest_path).parent_path();
    auto file = [&](const std::string& f) { return f.empty() ? f : (dir / f).lexically_normal().string(); };
    try {
      sm->size = j.at("size").get<int>();
      sm->channels = j.value("channels", 32);
      sm->hint_size = j.value("hint_size", sm->size / 2);
      sm->latent = j.value("latent", 512);
      const int canvas = j.value("canvas", 256);
      if (sm->size <= 0 || sm->channels <= 0 || sm->hint_size <= 0 || canvas <= 0)
        throw Error(ctx, "size, channels, hint_size and canvas must be positive");
      sm->generator = file(j.at("generator").get<std::string>());
      sm->guided = j.contains("guide");
      const double scale = static_cast<double>(sm->size) / canvas;
      auto scaled = [&](int v) { return static_cast<int>(std::floor(v * scale + 0.5)); };
      for (auto it = j.at("parts").begin(); it != j.at("parts").end(); ++it) {
        const auto& p = it.value();
        SynthPart part;
        part.name = it.key();
        auto w = p.at("window").get<std::vector<int>>();
        if (w.size() != 3 || w[2] <= 0) throw Error(ctx, "part '" + part.name + "': window must be [x, y, size > 0]");
        part.window = {scaled(w[0]), scaled(w[1]), std::max(1, scaled(w[2]))};
        part.map_size = p.value("map_size", 32);
        part.feature_decoder = file(p.at("feature_decoder").get<std::string>());
        sm->parts[part.name] = part;
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(ctx, std::string("malformed manifest: ") + e.what());
    }
    if (!sm->parts.count("remainder")) throw Error(ctx, "the manifest has no \"remainder\" part");
    return sm;
  });
}

}  // namespace sumi
