// Synthesis-model manifests ("sumi.synth" JSON next to the weights): the
// per-part feature decoders and the image generator of the DeepFaceDrawing /
// Sketch2Anime pipelines (models/synth/).
//
//   const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
//   const SynthPart& eye = sm->part("left_eye");   // window on the output canvas, decoder file
//
// Manifest:
//   { "format": "sumi.synth", "version": 1, "name": "...", "size": 128, "channels": 32,
//     "hint_size": 64, "latent": 512, "canvas": 256,
//     "parts": { "left_eye": { "window": [x, y, side], "map_size": 32,
//                              "feature_decoder": "left_eye_features.pt" }, ... },
//     "generator": "generator.pt", "guide": {...} (optional), "training": {...}, "sha256": {...} }
// A manifest with "guide" names a guided generator: forward(features, hint, mask, guide) where guide is the
// canonical-frame sketch (1 x 1 x size x size, 1 = paper) that synth.image takes on its `sketch` input.
// Windows are on the part models' `canvas`; they are scaled to `size` here
// (round half up), exactly as training scaled them.
//
// Thread safety: manifests are immutable once loaded (cached in the ModelStore).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/node_context.h"
#include "engine/param.h"
#include "nodes/common/part_set.h"

namespace sumi {

struct SynthPart {
  std::string name;
  Window window;     // on the output canvas (size x size)
  int map_size = 32;  // the decoder's feature map is map_size square
  std::string feature_decoder;  // absolute path
};

struct SynthModels {
  std::string path;
  int size = 128;       // output canvas
  int channels = 32;    // feature channels
  int hint_size = 64;   // the generator takes hints at hint_size square
  int latent = 512;
  std::map<std::string, SynthPart> parts;
  std::string generator;  // absolute path
  bool guided = false;    // the generator also takes the sketch (manifest "guide")
  // Throws an Error naming the manifest when the part is missing.
  const SynthPart& part(const std::string& name) const;
};

// Loads (once per session, reloaded when the file changes) and validates a manifest.
std::shared_ptr<const SynthModels> load_synth_models(ModelStore& store, const std::string& manifest_path);
// Its checks on a manifest read_manifest returned (torch-free: synth_manifest.cpp).
std::shared_ptr<SynthModels> parse_synth_models(const nlohmann::json& j, const std::string& manifest_path);

// The default manifest of the shipped synthesis models.
std::string default_synth_manifest();

inline ParamSpec synth_manifest_param() {
  return ParamSpec::path("manifest", default_synth_manifest(), "synthesis-model manifest (sumi.synth JSON)").reads();
}

}  // namespace sumi
