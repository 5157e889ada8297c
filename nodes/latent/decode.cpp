#include "nodes/latent/decode.h"

#include "nodes/latent/common_params.h"
#include "nodes/latent/latent_kind.h"

namespace sumi {

NodeDescriptor latent_decode_node() {
  NodeDescriptor d;
  d.id = "latent.decode";
  d.doc = "Decodes a part latent into the part's sketch crop with the part's decoder";
  d.inputs = {PortSpec::in("latent", latent_kind(), "1 x D latent")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "the part's sketch, 1 channel, input_size square")};
  d.params = {part_param(), manifest_param(),
              ParamSpec::model("decoder", "", "TorchScript decoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto models = load_part_models(ctx.models(), ctx.param_string("manifest"));
    const PartModel& m = models->part(ctx.param_string("part"));
    const std::string& override_file = ctx.param_string("decoder");
    ctx.set_output("image", run_model(ctx, override_file.empty() ? m.decoder : override_file, ctx.input("latent"),
                                      ValueKind::Image, {1, m.latent}, {1, 1, m.input_size, m.input_size}));
  };
  return d;
}

}  // namespace sumi
