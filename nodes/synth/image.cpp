#include "nodes/synth/image.h"

#include <torch/torch.h>

#include "engine/tensor.h"
#include "nodes/latent/part_models.h"
#include "nodes/synth/features_kind.h"
#include "nodes/synth/synth_models.h"

namespace sumi {
namespace {

// A pixel counts as unhinted paper when every channel is at least this white.
constexpr float kPaperLevel = 0.98f;

at::Tensor resize_to(const at::Tensor& t, int side) {
  if (t.size(2) == side && t.size(3) == side) return t;
  if (t.size(2) >= side && t.size(3) >= side) return at::adaptive_avg_pool2d(t, {side, side});  // area
  return at::upsample_bilinear2d(t, {side, side}, /*align_corners=*/false);
}

// The generator's hint inputs: RGB premultiplied by the mask, and the mask, at hint_size.
std::pair<at::Tensor, at::Tensor> hint_inputs(const NodeContext& ctx, int side) {
  const at::Tensor& h = ctx.input("hint").tensor();
  if (h.size(0) != 1) throw ctx.port_error("hint", "expected one image, got a batch of " + std::to_string(h.size(0)));
  using torch::indexing::Slice;
  const at::Tensor rgb = h.size(1) >= 3 ? h.index({Slice(), Slice(0, 3)}) : h.index({Slice(), Slice(0, 1)}).repeat({1, 3, 1, 1});
  at::Tensor mask;
  if (ctx.has_input("hint_mask")) {
    mask = ctx.input("hint_mask").tensor();
    if (mask.size(0) != 1) throw ctx.port_error("hint_mask", "expected one mask, got a batch of " + std::to_string(mask.size(0)));
    if (mask.size(2) != h.size(2) || mask.size(3) != h.size(3))
      mask = at::upsample_bilinear2d(mask, {h.size(2), h.size(3)}, false);
  } else if (h.size(1) == 4 || h.size(1) == 2) {
    mask = h.index({Slice(), Slice(h.size(1) - 1, h.size(1))});
  } else {
    mask = (std::get<0>(rgb.min(1, /*keepdim=*/true)) < kPaperLevel).to(at::kFloat);
  }
  mask = mask.to(rgb.device()).clamp(0, 1);
  return {resize_to(rgb * mask, side), resize_to(mask, side)};
}

// The guide: the sketch as one gray channel (1 = paper), scaled to the generator's size as training scaled it.
at::Tensor guide_input(const NodeContext& ctx, int side) {
  at::Tensor s = ctx.input("sketch").tensor();
  if (s.size(0) != 1) throw ctx.port_error("sketch", "expected one image, got a batch of " + std::to_string(s.size(0)));
  if (s.size(1) >= 3) {
    using torch::indexing::Slice;
    s = s.index({Slice(), Slice(0, 3)}).mean(1, /*keepdim=*/true);  // an RGB sketch: its gray
  } else if (s.size(1) != 1) {
    throw ctx.port_error("sketch", "expected 1 or 3 channels, got " + std::to_string(s.size(1)));
  }
  return resize_to(s.to(at::kFloat).clamp(0, 1), side);
}

}  // namespace

NodeDescriptor synth_image_node() {
  NodeDescriptor d;
  d.id = "synth.image";
  d.doc = "Generates the RGB portrait from the feature canvas, optionally following colour hints";
  d.inputs = {PortSpec::in("features", features_kind(), "the pasted feature canvas (synth.paste_features)"),
              PortSpec::optional("hint", ValueKind::Image, "colour hints, white where none (colour.hints_input)"),
              PortSpec::optional("hint_mask", ValueKind::Mask, "where the hints are; without it: non-white pixels"),
              PortSpec::optional("sketch", ValueKind::Image,
                                 "the canonical-frame sketch, for generators that follow it (manifest \"guide\")")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "RGB portrait, size x size")};
  d.params = {synth_manifest_param(),
              ParamSpec::model("generator", "", "TorchScript generator replacing the manifest's (same interface)")};
  d.compute = [](NodeContext& ctx) {
    const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
    const int hs = sm->hint_size;
    const at::Tensor& f = ctx.input("features").tensor();
    at::Tensor hint, mask;
    if (ctx.has_input("hint")) {
      std::tie(hint, mask) = hint_inputs(ctx, hs);
    } else {
      if (ctx.has_input("hint_mask")) throw ctx.port_error("hint_mask", "a hint mask needs a hint image on 'hint'");
      hint = torch::zeros({1, 3, hs, hs}, f.options());
      mask = torch::zeros({1, 1, hs, hs}, f.options());
    }
    std::vector<Value> args = {ctx.input("features"), make_tensor_value(ValueKind::Image, hint),
                               make_tensor_value(ValueKind::Mask, mask)};
    std::vector<std::vector<std::int64_t>> shapes = {{1, sm->channels, sm->size, sm->size}, {1, 3, hs, hs}, {1, 1, hs, hs}};
    if (sm->guided) {
      if (!ctx.has_input("sketch"))
        throw ctx.port_error("sketch", "this generator follows the sketch (its manifest has \"guide\"): link the "
                                       "canonical-frame sketch here, e.g. face.warp's image");
      args.push_back(make_tensor_value(ValueKind::Image, guide_input(ctx, sm->size)));
      shapes.push_back({1, 1, sm->size, sm->size});
    } else if (ctx.has_input("sketch")) {
      ctx.warn("the sketch is ignored: this generator does not take one (its manifest has no \"guide\")");
    }
    const std::string& override_file = ctx.param_string("generator");
    ctx.set_output("image", run_model(ctx, override_file.empty() ? sm->generator : override_file, args,
                                      ValueKind::Image, shapes, {1, 3, sm->size, sm->size}));
  };
  return d;
}

}  // namespace sumi
