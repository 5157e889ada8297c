#include "nodes/stylegan/synthesis.h"

#include "engine/tensor.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"

namespace sumi {

NodeDescriptor synth_stylegan_node() {
  NodeDescriptor d;
  d.id = "synth.stylegan";
  d.doc = "Synthesises an RGB portrait from a W+ code with the StyleGAN2-style synthesis network";
  d.inputs = {PortSpec::in("latent", latent_kind(), "W+ code, 1 x num_ws x w_dim"),
              PortSpec::optional("sketch", ValueKind::Image,
                                 "the canonical-frame sketch, for a synthesis that follows the drawn lines (manifest "
                                 "\"guide\")")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "RGB portrait, size x size")};
  d.params = {stylegan_manifest_param(),
              ParamSpec::model("synthesis", "", "TorchScript synthesis network replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto m = load_stylegan_models(ctx.models(), ctx.param_string("manifest"));
    const std::string& override_file = ctx.param_string("synthesis");
    const std::string& file = override_file.empty() ? m->synthesis : override_file;
    if (m->guided) {
      if (!ctx.has_input("sketch"))
        throw ctx.port_error("sketch", "this synthesis follows the drawn lines (its manifest has \"guide\"): link "
                                       "the canonical-frame sketch here, e.g. face.warp's image");
      const Value sketch = make_tensor_value(ValueKind::Image, square_input(ctx, "sketch", 1, m->size));
      ctx.set_output("image", run_model(ctx, file, {ctx.input("latent"), sketch}, ValueKind::Image,
                                        {{1, m->num_ws, m->w_dim}, {1, 1, m->size, m->size}}, {1, 3, m->size, m->size}));
      return;
    }
    if (ctx.has_input("sketch")) ctx.warn("the sketch is ignored: this synthesis does not take one (its manifest has no \"guide\")");
    ctx.set_output("image", run_model(ctx, file, ctx.input("latent"), ValueKind::Image, {1, m->num_ws, m->w_dim},
                                      {1, 3, m->size, m->size}));
  };
  return d;
}

}  // namespace sumi
