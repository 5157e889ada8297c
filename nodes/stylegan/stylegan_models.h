// StyleGAN model manifests ("sumi.stylegan" JSON next to the weights): the
// AniFaceDrawing networks in models/stylegan/ - synthesis (W+ -> image), the
// image encoder (teacher) and the sketch encoder into W+ - and the input
// preparation their encoder nodes share.
//
//   const auto m = load_stylegan_models(ctx.models(), ctx.param_string("manifest"));
//   at::Tensor x = square_input(ctx, "image", 3, m->size);   // 1 x 3 x size x size
//
// Manifest:
//   { "format": "sumi.stylegan", "version": 1, "size": 128, "w_dim": 256, "num_ws": 12,
//     "sketch_size": 128, "synthesis": "synthesis.pt", "image_encoder": "image_encoder.pt",
//     "sketch_encoder": "sketch_encoder.pt", "layers": {...}, "training": {...}, "sha256": {...},
//     "guide": {...} (optional) }
// A manifest with "guide" names a synthesis that follows the drawn lines:
// forward(ws, sketch), the canonical-frame sketch as 1 x 1 x size x size
// (1 = paper), prepared as square_input prepares a sketch.
//
// Thread safety: manifests are immutable once loaded (cached in the ModelStore).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/node_context.h"
#include "engine/param.h"

namespace at {
class Tensor;
}

namespace sumi {

struct StyleganModels {
  std::string path;
  int size = 128, w_dim = 256, num_ws = 12, sketch_size = 128;
  std::string synthesis, image_encoder, sketch_encoder;  // absolute paths
  bool guided = false;  // the synthesis also takes the sketch (manifest "guide")
};

std::shared_ptr<const StyleganModels> load_stylegan_models(ModelStore& store, const std::string& manifest_path);
// Its checks on a manifest read_manifest returned (torch-free: stylegan_manifest.cpp).
std::shared_ptr<StyleganModels> parse_stylegan_models(const nlohmann::json& j, const std::string& manifest_path);
std::string default_stylegan_manifest();

inline ParamSpec stylegan_manifest_param() {
  return ParamSpec::path("manifest", default_stylegan_manifest(), "StyleGAN model manifest (sumi.stylegan JSON)").reads();
}

// The image on `port` as 1 x channels x side x side on the run's device: alpha
// composited onto white, gray <-> RGB as needed, padded with white to a square
// (centred) and resized (area when shrinking, bilinear when growing).
at::Tensor square_input(const NodeContext& ctx, std::string_view port, int channels, int side);

}  // namespace sumi
