#include "nodes/sketch/detail_filter.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"

namespace sumi {

NodeDescriptor sketch_detail_filter_node() {
  NodeDescriptor d;
  d.id = "sketch.detail_filter";
  d.doc = "Sketch2Anime detail filter: blur, Canny edges, short lines dropped; white paper, black lines";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "colour (or gray) image")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "sketch, 1 channel, 1 = paper")};
  d.params = {
      ParamSpec::number("sigma", 1.5, "Gaussian blur before edge detection, standard deviation in pixels; 0 = none")
          .range(0, 20),
      ParamSpec::number("low", 40, "Canny low threshold: weaker edges continue a line only (gradient, 8-bit levels)")
          .range(0, 4000),
      ParamSpec::number("high", 120, "Canny high threshold: lines start where the gradient exceeds it").range(0, 4000),
      ParamSpec::integer("min_length", 20, "drop connected lines shorter than this many pixels; 0 keeps all")
          .range(0, 1 << 30),
      ParamSpec::integer("line_width", 1, "width of the drawn lines in pixels (edges are dilated)").range(1, 64)};
  d.compute = [](NodeContext& ctx) {
    const double low = ctx.param_float("low"), high = ctx.param_float("high");
    if (low > high) throw ctx.param_error("low", "must not exceed 'high' (" + param_to_string(high) + ")");
    cv::Mat gray = to_gray_on_white(input_mat(ctx, "image"));
    const double sigma = ctx.param_float("sigma");
    const CancelToken& cancel = ctx.cancel_token();
    if (sigma > 0) gray = gaussian_blur(gray, sigma, cv::BORDER_REPLICATE, cancel);
    cv::Mat u8(gray.size(), CV_8U);
    for_row_bands(cancel, gray.rows, gray.cols, [&](int y0, int y1) {
      cv::Mat out = u8.rowRange(y0, y1);
      gray.rowRange(y0, y1).convertTo(out, CV_8U, 255.0);
    });
    // Canny's hysteresis follows edges across the whole image: one call.
    cv::Mat edges = run_cancellable(cancel, std::int64_t{64} * u8.rows * u8.cols, [u8, low, high] {
      cv::Mat e;
      cv::Canny(u8, e, low, high, 3, true);
      return e;
    });
    // Canny lines are one pixel wide: a component's pixel count is its length.
    const auto min_length = ctx.param_int("min_length");
    if (min_length > 1) {
      cv::Mat labels;
      std::vector<int> areas;
      ink_components(edges, 0, labels, cancel, &areas);
      for (int y = 0; y < edges.rows; ++y) {
        if ((y & 255) == 0) cancel.check();
        const int* l = labels.ptr<int>(y);
        std::uint8_t* e = edges.ptr<std::uint8_t>(y);
        for (int x = 0; x < edges.cols; ++x)
          if (l[x] > 0 && areas[static_cast<std::size_t>(l[x])] < min_length) e[x] = 0;
      }
    }
    const int width = static_cast<int>(ctx.param_int("line_width"));
    if (width > 1) edges = dilate_banded(edges, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(width, width)), cancel);
    cv::Mat out(edges.size(), CV_32F, cv::Scalar(1));
    out.setTo(cv::Scalar(0), edges);
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
