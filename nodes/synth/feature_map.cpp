#include "nodes/synth/feature_map.h"

#include "nodes/latent/common_params.h"
#include "nodes/synth/synth_models.h"

namespace sumi {

NodeDescriptor synth_feature_map_node() {
  NodeDescriptor d;
  d.id = "synth.feature_map";
  d.doc = "Decodes a part latent into the part's feature map (DeepFaceDrawing's feature mapping)";
  d.inputs = {PortSpec::in("latent", ValueKind::Latent, "1 x D part latent (projected or not)")};
  d.outputs = {PortSpec::out("features", ValueKind::Features, "1 x C x S x S feature map of the part")};
  d.params = {part_param(), synth_manifest_param(),
              ParamSpec::model("decoder", "", "TorchScript feature decoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
    const SynthPart& p = sm->part(ctx.param_string("part"));
    const std::string& override_file = ctx.param_string("decoder");
    ctx.set_output("features", run_model(ctx, override_file.empty() ? p.feature_decoder : override_file,
                                         ctx.input("latent"), ValueKind::Features, {1, sm->latent},
                                         {1, sm->channels, p.map_size, p.map_size}));
  };
  return d;
}

}  // namespace sumi
