#include "nodes/latent/encode.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"
#include "nodes/latent/common_params.h"
#include "nodes/latent/latent_kind.h"

namespace sumi {

NodeDescriptor latent_encode_node() {
  NodeDescriptor d;
  d.id = "latent.encode";
  d.doc = "Encodes one face part's sketch crop into a latent with the part's encoder";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "the part's crop (e.g. face.split's port of that part)")};
  d.outputs = {PortSpec::out("latent", latent_kind(), "1 x D latent")};
  d.params = {part_param(), manifest_param(),
              ParamSpec::model("encoder", "", "TorchScript encoder replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const std::string& name = ctx.param_string("part");
    const auto models = load_part_models(ctx.models(), ctx.param_string("manifest"));
    const PartModel& m = models->part(name);
    at::Tensor x = ctx.input("image").tensor();
    if (x.size(1) > 1) x = x.narrow(1, 0, std::min<std::int64_t>(3, x.size(1))).mean(1, true);  // to gray
    const std::int64_t s = m.input_size;
    if (x.size(2) != s || x.size(3) != s)
      x = x.size(2) > s ? at::adaptive_avg_pool2d(x, {s, s}) : at::upsample_bilinear2d(x, {s, s}, false);
    const std::string& override_file = ctx.param_string("encoder");
    ctx.set_output("latent", run_model(ctx, override_file.empty() ? m.encoder : override_file, make_image(x),
                                       latent_kind(), {1, 1, s, s}, {1, m.latent}));
  };
  return d;
}

}  // namespace sumi
