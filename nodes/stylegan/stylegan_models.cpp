#include "nodes/stylegan/stylegan_models.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "engine/data_root.h"
#include "engine/model_store.h"
#include "nodes/latent/part_models.h"  // read_manifest

namespace sumi {

std::string default_stylegan_manifest() { return data_path("models/stylegan/manifest.json"); }

std::shared_ptr<const StyleganModels> load_stylegan_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<StyleganModels>(manifest_path, "stylegan-manifest", [&] {
    const nlohmann::json j = read_manifest(manifest_path, "sumi.stylegan", "StyleGAN");
    auto m = parse_stylegan_models(j, manifest_path);
    expect_manifest_digests(store, j, manifest_path);
    return m;
  });
}

at::Tensor square_input(const NodeContext& ctx, std::string_view port, int channels, int side) {
  at::Tensor x = ctx.input(port).tensor();
  if (x.size(0) != 1) throw ctx.port_error(port, "one image at a time, got a batch of " + std::to_string(x.size(0)));
  if (x.size(2) == 0 || x.size(3) == 0) throw ctx.port_error(port, "the image is empty");
  using torch::indexing::Slice;
  const auto c = x.size(1);
  if (c == 2 || c == 4) {  // composite onto white
    const at::Tensor alpha = x.index({Slice(), Slice(c - 1, c)});
    x = x.index({Slice(), Slice(0, c - 1)}) * alpha + (1.0 - alpha);
  }
  if (channels == 1 && x.size(1) == 3) {
    x = (0.299 * x.index({Slice(), Slice(0, 1)}) + 0.587 * x.index({Slice(), Slice(1, 2)}) +
         0.114 * x.index({Slice(), Slice(2, 3)}));
  } else if (channels == 3 && x.size(1) == 1) {
    x = x.repeat({1, 3, 1, 1});
  }
  const auto h = x.size(2), w = x.size(3);
  if (h != w) {  // pad with paper to a centred square
    const auto s = std::max(h, w);
    const auto top = (s - h) / 2, left = (s - w) / 2;
    x = torch::constant_pad_nd(x, {left, s - w - left, top, s - h - top}, 1.0);
  }
  if (x.size(2) > side) x = at::adaptive_avg_pool2d(x, {side, side});
  else if (x.size(2) < side) x = at::upsample_bilinear2d(x, {side, side}, /*align_corners=*/false);
  return x.contiguous();
}

}  // namespace sumi
