#include "nodes/synth/synth_models.h"

#include <nlohmann/json.hpp>

#include "engine/model_store.h"
#include "nodes/latent/part_models.h"  // read_manifest

namespace sumi {

std::string default_synth_manifest() { return std::string(SUMI_MODELS_DIR) + "/synth/manifest.json"; }

std::shared_ptr<const SynthModels> load_synth_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<SynthModels>(manifest_path, "synth-manifest", [&] {
    return parse_synth_models(read_manifest(manifest_path, "sumi.synth", "synthesis-model"), manifest_path);
  });
}

}  // namespace sumi
