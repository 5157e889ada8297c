#include "nodes/synth/feature_map.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"

#include "nodes/latent/common_params.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/synth/features_kind.h"
#include "nodes/synth/synth_models.h"

namespace sumi {
namespace {

// The map's last channel, the part's line ink, from the part's sketch as the
// part decoder draws it (1 = paper): area-scaled to the map, as training made it
// (synth_model.FeatureDecoder). The graph decodes that sketch once for the
// shadow guidance and the portrait alike.
at::Tensor line_channel(const NodeContext& ctx, const at::Tensor& map, const std::string& decoder_file) {
  if (!ctx.has_input("line"))
    throw ctx.port_error("line", "the feature decoder " + decoder_file + " draws " + std::to_string(map.size(1)) +
                                     " channels and leaves the last, the part's line ink, to this input: link the "
                                     "part's sketch (latent.decode's image) to it");
  const at::Tensor& line = ctx.input("line").tensor();
  if (line.size(0) != map.size(0) || line.size(1) != 1 || line.size(2) < 1 || line.size(3) < 1)
    throw ctx.port_error("line", "expected the part's sketch, " + std::to_string(map.size(0)) +
                                     " x 1 x H x W, got " + ctx.input("line").describe());
  return at::adaptive_avg_pool2d(1.0 - line.to(map.device()), {map.size(2), map.size(3)});
}

}  // namespace

NodeDescriptor synth_feature_map_node() {
  NodeDescriptor d;
  d.id = "synth.feature_map";
  d.doc = "Decodes a part latent into the part's feature map (DeepFaceDrawing's feature mapping)";
  d.inputs = {PortSpec::in("latent", latent_kind(), "1 x D part latent (projected or not)"),
              PortSpec::optional("line", ValueKind::Image,
                                 "the part's sketch as the part decoder draws it from the same latent (latent.decode's "
                                 "image): the map's last channel, for feature decoders that leave it out (the shipped "
                                 "ones)")};
  d.outputs = {PortSpec::out("features", features_kind(),
                             "1 x C x W x W feature map of the part, at its window's size W on the generator canvas")};
  d.params = {part_param(), synth_manifest_param(),
              ParamSpec::model("decoder", "",
                               "TorchScript feature decoder replacing the manifest's: latent -> C channels, or C - 1 "
                               "with the line ink from `line`")};
  d.compute = [](NodeContext& ctx) {
    const auto sm = load_synth_models(ctx.models(), ctx.param_string("manifest"));
    const SynthPart& p = sm->part(ctx.param_string("part"));
    const std::string& override_file = ctx.param_string("decoder");
    const std::string& file = override_file.empty() ? p.feature_decoder : override_file;
    at::Tensor map = run_model(ctx, file, ctx.input("latent"), features_kind(), {1, sm->latent},
                               {1, -1, p.map_size, p.map_size})
                         .tensor();
    // A decoder draws all C channels, or all but the line ink, which the graph
    // then gives on `line` (a decoder drawing its own ignores it).
    if (map.size(1) == sm->channels - 1) {
      map = at::cat({map, line_channel(ctx, map, file)}, 1);
    } else if (map.size(1) == sm->channels && ctx.has_input("line")) {
      ctx.warn("the line is ignored: the feature decoder " + file + " draws all " + std::to_string(sm->channels) +
               " channels the generator takes");
    } else if (map.size(1) != sm->channels) {
      throw ctx.error("the feature decoder " + file + " returns " + std::to_string(map.size(1)) +
                      " channels; the manifest's generator takes " + std::to_string(sm->channels) + " (or " +
                      std::to_string(sm->channels - 1) + " and the line ink on `line`)");
    }
    // Resized here rather than in synth.paste_features, so that a stroke in one
    // part re-resizes only that part's map: the others come from the cache.
    const at::Tensor scaled = at::upsample_bilinear2d(map, {p.window.size, p.window.size}, /*align_corners=*/false);
    ctx.set_output("features", make_features(scaled));
  };
  return d;
}

}  // namespace sumi
