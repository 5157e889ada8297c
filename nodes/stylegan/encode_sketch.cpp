#include "nodes/stylegan/encode_sketch.h"

#include <torch/torch.h>

#include "engine/tensor.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"

namespace sumi {

NodeDescriptor latent_encode_sketch_node() {
  NodeDescriptor d;
  d.id = "latent.encode_sketch";
  d.doc = "Encodes a sketch, finished or not, into the W+ code of the finished face (AniFaceDrawing stage 2)";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "the sketch (1 = paper), any size (padded to a square with white)")};
  d.outputs = {PortSpec::out("latent", latent_kind(), "W+ code, 1 x num_ws x w_dim")};
  d.params = {stylegan_manifest_param(),
              ParamSpec::model("encoder", "", "TorchScript sketch encoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto m = load_stylegan_models(ctx.models(), ctx.param_string("manifest"));
    const std::string& override_file = ctx.param_string("encoder");
    const Value x = make_tensor_value(ValueKind::Image, square_input(ctx, "sketch", 1, m->sketch_size));
    ctx.set_output("latent", run_model(ctx, override_file.empty() ? m->sketch_encoder : override_file, x,
                                       latent_kind(), {1, 1, m->sketch_size, m->sketch_size}, {1, m->num_ws, m->w_dim}));
  };
  return d;
}

}  // namespace sumi
