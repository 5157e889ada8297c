#include "nodes/synth/feature_map.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"

#include "nodes/latent/common_params.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/synth/features_kind.h"
#include "nodes/synth/synth_models.h"

namespace sumi {

NodeDescriptor synth_feature_map_node() {
  NodeDescriptor d;
  d.id = "synth.feature_map";
  d.doc = "Decodes a part latent into the part's feature map (DeepFaceDrawing's feature mapping)";
  d.inputs = {PortSpec::in("latent", latent_kind(), "1 x D part latent (projected or not)")};
  d.outputs = {PortSpec::out("features", features_kind(),
                             "1 x C x W x W feature map of the part, at its window's size W on the generator canvas")};
  d.params = {part_param(), synth_manifest_param(),
              ParamSpec::model("decoder", "", "TorchScript feature decoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
    const SynthPart& p = sm->part(ctx.param_string("part"));
    const std::string& override_file = ctx.param_string("decoder");
    const Value map = run_model(ctx, override_file.empty() ? p.feature_decoder : override_file, ctx.input("latent"),
                                features_kind(), {1, sm->latent}, {1, sm->channels, p.map_size, p.map_size});
    // Resized here rather than in synth.paste_features, so that a stroke in one
    // part re-resizes only that part's map: the others come from the cache.
    const at::Tensor scaled = at::upsample_bilinear2d(map.tensor(), {p.window.size, p.window.size},
                                                      /*align_corners=*/false);
    ctx.set_output("features", make_features(scaled));
  };
  return d;
}

}  // namespace sumi
