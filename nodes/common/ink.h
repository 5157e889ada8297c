// Helpers shared by the sketch and colour nodes: reading an image input as a
// non-empty matrix, compositing onto white paper, sketch ink, line components
// and smooth random fields.
//
//   cv::Mat m = input_mat(ctx, "sketch");        // errors name node and port
//   cv::Mat ink = sketch_ink(m);                  // 1 = black line, 0 = paper
//   cv::Mat labels; int n = ink_components(ink, 0.01, labels, ctx.cancel_token());
//
// Thread safety: pure functions (smooth_noise advances the Rng it is given).
#pragma once

#include <opencv2/core.hpp>
#include <string_view>

#include "engine/node_context.h"
#include "nodes/common/random.h"

namespace sumi {

// image_to_mat() of input `port`, rejecting empty (0-pixel) images.
cv::Mat input_mat(const NodeContext& ctx, std::string_view port);

// 3-channel RGB, transparent pixels composited onto white (gray is replicated).
cv::Mat to_rgb_on_white(const cv::Mat& m);
// 1-channel luminance, transparent pixels composited onto white.
cv::Mat to_gray_on_white(const cv::Mat& m);
// Ink of a sketch, 1 - luminance clamped to 0..1 (CV_32F).
cv::Mat sketch_ink(const cv::Mat& m);

// 8-connected components of the pixels whose ink exceeds `level`. `labels`
// becomes CV_32S with 0 for background and 1..n for the components; returns n.
// When `areas` is given it receives each component's pixel count (index 0 unused).
// Throws Cancelled soon after `cancel` is set (nodes/common/cancellable.h).
int ink_components(const cv::Mat& ink, double level, cv::Mat& labels, const CancelToken& cancel,
                   std::vector<int>* areas = nullptr);

// Cuts lines longer than `length` pixels into pieces along the line: a
// breadth-first walk (8-connected) from a random pixel of the line, piece k
// holding the pixels k * length .. (k + 1) * length - 1 steps away. `band`
// (CV_32S) receives each line pixel's piece number within its line (0
// elsewhere), `pieces[i]` the number of pieces of line i (1 when short).
// `labels`, `n` and `areas` are ink_components()'s. Checks `cancel` as it goes.
void cut_lines(const cv::Mat& labels, int n, const std::vector<int>& areas, std::int64_t length, Rng& rng,
               cv::Mat& band, std::vector<int>& pieces, const CancelToken& cancel);

// A smooth random field of `rows` x `cols` (CV_32F) with features about
// `scale` pixels across and unit root-mean-square value: normal noise on a
// grid `scale` pixels apart, interpolated bicubically.
// The grid is drawn on the calling thread; the scaling runs through
// run_cancellable (throws Cancelled soon after `cancel` is set).
cv::Mat smooth_noise(Rng& rng, int rows, int cols, double scale, const CancelToken& cancel);

}  // namespace sumi
