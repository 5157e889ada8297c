#include "nodes/latent/mix_layers.h"

#include <torch/torch.h>

#include "engine/node_context.h"
#include "engine/tensor.h"
#include "nodes/latent/latent_kind.h"

namespace sumi {

NodeDescriptor latent_mix_layers_node() {
  NodeDescriptor d;
  d.id = "latent.mix_layers";
  d.doc = "Takes layers from..to of a W+ code from a second code and the rest from the first";
  d.inputs = {PortSpec::in("base", latent_kind(), "W+ code giving every other layer (the sketch's: structure)"),
              PortSpec::in("layers", latent_kind(), "W+ code giving layers from..to (a reference's: colour)")};
  d.outputs = {PortSpec::out("latent", latent_kind(), "the mixed W+ code")};
  d.params = {ParamSpec::integer("from", -4, "first layer taken from 'layers': 0 = the coarsest; negative counts from "
                                            "the finest (-4 = the four finest, colour in a 128 px StyleGAN)")
                  .range(-64, 64)
                  .live_control(),
              ParamSpec::integer("to", -1, "last layer taken from 'layers' (inclusive); -1 = the finest").range(-64, 64),
              ParamSpec::number("strength", 1.0, "0 keeps 'base', 1 takes 'layers' fully in that range")
                  .range(0, 1)
                  .live_control()};
  d.compute = [](NodeContext& ctx) {
    const at::Tensor& a = ctx.input("base").tensor();
    const at::Tensor& b = ctx.input("layers").tensor();
    if (a.dim() != 3) throw ctx.port_error("base", "expects a W+ code (N x layers x D), got " + ctx.input("base").describe());
    if (!a.sizes().equals(b.sizes()))
      throw ctx.port_error("layers", "shape " + ctx.input("layers").describe() + " differs from 'base' (" +
                                         ctx.input("base").describe() + ")");
    const std::int64_t n = a.size(1);
    auto layer = [&](const char* param) {
      const std::int64_t v = ctx.param_int(param), i = v < 0 ? n + v : v;
      if (i < 0 || i >= n)
        throw ctx.param_error(param, "layer " + std::to_string(v) + " is past the last layer (" + std::to_string(n - 1) +
                                         "; the code has " + std::to_string(n) + " layers)");
      return i;
    };
    const std::int64_t from = layer("from"), to = layer("to");
    at::Tensor out = a.clone();
    if (from <= to) {
      using torch::indexing::Slice;
      const auto strength = static_cast<float>(ctx.param_float("strength"));
      const at::Tensor la = a.index({Slice(), Slice(from, to + 1)}), lb = b.to(a.device()).index({Slice(), Slice(from, to + 1)});
      out.index_put_({Slice(), Slice(from, to + 1)}, la + strength * (lb - la));
    }
    ctx.set_output("latent", make_latent(out));
  };
  return d;
}

}  // namespace sumi
