#include "nodes/sketch/drop_strokes.h"

#include <cmath>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"
#include "nodes/common/random.h"

namespace sumi {

NodeDescriptor sketch_drop_strokes_node() {
  NodeDescriptor d;
  d.id = "sketch.drop_strokes";
  d.doc = "Keeps a seeded random fraction of a sketch's connected lines and erases the others";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "sketch: white paper, dark lines")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "sketch with lines dropped, 1 channel, 1 = paper")};
  d.params = {
      ParamSpec::number("keep", 0.7, "fraction of the lines kept (rounded to whole lines)").range(0, 1),
      ParamSpec::integer("seed", 0, "random seed: the same seed drops the same lines").range(0, 4294967295.0),
      ParamSpec::integer("piece_length", 0,
                         "cut longer lines into pieces this many pixels long (along the line, from a random "
                         "point) before choosing; 0 = whole lines")
          .range(0, kMaxImageSide),
      ParamSpec::number("level", 0.01, "pixels with more ink than this form lines; fainter ones are left as they are")
          .range(0, 0.99)};
  d.compute = [](NodeContext& ctx) {
    const Value& in = ctx.input("sketch");
    cv::Mat m = input_mat(ctx, "sketch");
    const double keep = ctx.param_float("keep");
    if (keep >= 1.0 && m.channels() == 1) {
      ctx.set_output("image", in);
      return;
    }
    cv::Mat gray = to_gray_on_white(m);
    cv::Mat labels, band;
    std::vector<int> areas, pieces;
    const int lines = ink_components(1.0 - gray, ctx.param_float("level"), labels, ctx.cancel_token(), &areas);
    Rng rng(ctx.param_int("seed"));
    Rng starts(ctx.param_int("seed"), 1);
    cut_lines(labels, lines, areas, ctx.param_int("piece_length"), starts, band, pieces, ctx.cancel_token());
    // Number the pieces: line i's pieces are base[i] + 0 .. pieces[i] - 1.
    std::vector<int> base(static_cast<std::size_t>(lines) + 1, 1);
    for (std::size_t i = 1; i <= static_cast<std::size_t>(lines); ++i)
      base[i] = i == 1 ? 1 : base[i - 1] + pieces[i - 1];
    const int n = lines == 0 ? 0 : base.back() + pieces.back() - 1;
    for (int y = 0; y < labels.rows; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      int* l = labels.ptr<int>(y);
      const int* b = band.ptr<int>(y);
      for (int x = 0; x < labels.cols; ++x)
        if (l[x]) l[x] = base[static_cast<std::size_t>(l[x])] + b[x];
    }
    std::vector<int> order(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i + 1;
    rng.shuffle(order);
    const auto kept = static_cast<std::size_t>(std::lround(keep * n));
    std::vector<std::uint8_t> keep_label(static_cast<std::size_t>(n) + 1, 1);
    for (std::size_t i = kept; i < order.size(); ++i) keep_label[static_cast<std::size_t>(order[i])] = 0;
    for (int y = 0; y < gray.rows; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      const int* l = labels.ptr<int>(y);
      float* g = gray.ptr<float>(y);
      for (int x = 0; x < gray.cols; ++x)
        if (!keep_label[static_cast<std::size_t>(l[x])]) g[x] = 1.0f;
    }
    ctx.set_output("image", mat_to_image(gray, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
