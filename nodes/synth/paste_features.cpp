#include "nodes/synth/paste_features.h"

#include <algorithm>
#include <array>

#include <torch/torch.h>

#include "engine/tensor.h"
#include "nodes/synth/features_kind.h"
#include "nodes/synth/synth_models.h"

namespace sumi {
namespace {

// Must match models/synth/synth_model.py PASTE_ORDER.
constexpr std::array<const char*, 5> kPasteOrder = {"remainder", "nose", "mouth", "left_eye", "right_eye"};

}  // namespace

NodeDescriptor synth_paste_features_node() {
  NodeDescriptor d;
  d.id = "synth.paste_features";
  d.doc = "Pastes the parts' feature maps at their windows into the generator's input canvas";
  for (const char* name : kPasteOrder)
    d.inputs.push_back(PortSpec::in(name, features_kind(), std::string(name) + " feature map (synth.feature_map)"));
  d.outputs = {PortSpec::out("features", features_kind(), "1 x C x size x size feature canvas")};
  d.params = {synth_manifest_param()};
  d.compute = [](NodeContext& ctx) {
    const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
    const int size = sm->size;
    at::Tensor canvas;
    for (const char* name : kPasteOrder) {
      const at::Tensor& m = ctx.input(name).tensor();
      if (m.size(0) != 1 || m.size(1) != sm->channels)
        throw ctx.port_error(name, "expected a 1 x " + std::to_string(sm->channels) + " x H x W feature map, got " +
                                       ctx.input(name).describe());
      if (!canvas.defined()) canvas = torch::zeros({1, sm->channels, size, size}, m.options());
      const Window w = sm->part(name).window;
      // synth.feature_map delivers window-sized maps; others are resized here.
      const bool fits = m.size(2) == w.size && m.size(3) == w.size;
      const at::Tensor scaled = fits ? m : at::upsample_bilinear2d(m, {w.size, w.size}, /*align_corners=*/false);
      const int x0 = std::max(0, w.x), y0 = std::max(0, w.y);
      const int x1 = std::min(size, w.x + w.size), y1 = std::min(size, w.y + w.size);
      if (x1 <= x0 || y1 <= y0) continue;
      using torch::indexing::Slice;
      canvas.index_put_({Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)},
                        scaled.index({Slice(), Slice(), Slice(y0 - w.y, y1 - w.y), Slice(x0 - w.x, x1 - w.x)}));
    }
    ctx.set_output("features", make_features(canvas));
  };
  return d;
}

}  // namespace sumi
