#include "nodes/stylegan/encode_image.h"

#include <torch/torch.h>

#include "engine/tensor.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"

namespace sumi {

NodeDescriptor latent_encode_image_node() {
  NodeDescriptor d;
  d.id = "latent.encode_image";
  d.doc = "Encodes a colour image into the StyleGAN's W+ space (AniFaceDrawing's teacher encoder)";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "a face image, any size (padded to a square with white)")};
  d.outputs = {PortSpec::out("latent", latent_kind(), "W+ code, 1 x num_ws x w_dim")};
  d.params = {stylegan_manifest_param(),
              ParamSpec::model("encoder", "", "TorchScript image encoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto m = load_stylegan_models(ctx.models(), ctx.param_string("manifest"));
    const std::string& override_file = ctx.param_string("encoder");
    const Value x = make_tensor_value(ValueKind::Image, square_input(ctx, "image", 3, m->size));
    ctx.set_output("latent", run_model(ctx, override_file.empty() ? m->image_encoder : override_file, x,
                                       latent_kind(), {1, 3, m->size, m->size}, {1, m->num_ws, m->w_dim}));
  };
  return d;
}

}  // namespace sumi
