#include "nodes/stylegan/synthesis.h"

#include "nodes/latent/latent_kind.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"

namespace sumi {

NodeDescriptor synth_stylegan_node() {
  NodeDescriptor d;
  d.id = "synth.stylegan";
  d.doc = "Synthesises an RGB portrait from a W+ code with the StyleGAN2-style synthesis network";
  d.inputs = {PortSpec::in("latent", latent_kind(), "W+ code, 1 x num_ws x w_dim")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "RGB portrait, size x size")};
  d.params = {stylegan_manifest_param(),
              ParamSpec::model("synthesis", "", "TorchScript synthesis network replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto m = load_stylegan_models(ctx.models(), ctx.param_string("manifest"));
    const std::string& override_file = ctx.param_string("synthesis");
    ctx.set_output("image", run_model(ctx, override_file.empty() ? m->synthesis : override_file, ctx.input("latent"),
                                      ValueKind::Image, {1, m->num_ws, m->w_dim}, {1, 3, m->size, m->size}));
  };
  return d;
}

}  // namespace sumi
