// StyleGAN model manifests: the checks, apart from loading the models (no
// LibTorch here, so that fuzz/ can link it alone).
#include <filesystem>

#include <nlohmann/json.hpp>

#include "nodes/latent/part_models.h"  // manifest_int
#include "nodes/stylegan/stylegan_models.h"

namespace sumi {

std::shared_ptr<StyleganModels> parse_stylegan_models(const nlohmann::json& j, const std::string& manifest_path) {
  ErrorContext ctx;
  ctx.file = manifest_path;
  auto m = std::make_shared<StyleganModels>();
  m->path = manifest_path;
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  auto file = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string()) throw Error(ctx, std::string("\"") + key + "\" must be a file name");
    return (dir / j[key].get<std::string>()).lexically_normal().string();
  };
  const int M = kManifestMaxSize;
  m->size = manifest_int(j, "size", ctx, "the manifest", 1, M);
  m->w_dim = manifest_int(j, "w_dim", ctx, "the manifest", 1, 1 << 16);
  m->num_ws = manifest_int(j, "num_ws", ctx, "the manifest", 1, 1024);
  m->sketch_size = manifest_int(j, "sketch_size", ctx, "the manifest", 1, M, m->size);
  m->synthesis = file("synthesis");
  m->image_encoder = file("image_encoder");
  m->sketch_encoder = file("sketch_encoder");
  if (j.contains("guide") && !j["guide"].is_object()) throw Error(ctx, "\"guide\" must be an object");
  m->guided = j.contains("guide");
  return m;
}

}  // namespace sumi
