#include "nodes/synth/synth_models.h"

#include <nlohmann/json.hpp>

#include "engine/data_root.h"
#include "engine/model_store.h"
#include "nodes/latent/part_models.h"  // read_manifest

namespace sumi {

std::string default_synth_manifest() { return data_path("models/synth/manifest.json"); }

std::shared_ptr<const SynthModels> load_synth_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<SynthModels>(manifest_path, "synth-manifest", [&] {
    const nlohmann::json j = read_manifest(manifest_path, "sumi.synth", "synthesis-model");
    auto sm = parse_synth_models(j, manifest_path);
    expect_manifest_digests(store, j, manifest_path);
    return sm;
  });
}

}  // namespace sumi
