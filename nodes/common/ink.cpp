#include "nodes/common/ink.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"

namespace sumi {

cv::Mat input_mat(const NodeContext& ctx, std::string_view port) {
  cv::Mat m = image_to_mat(ctx.input(port), ctx, port);
  if (m.empty() || m.rows == 0 || m.cols == 0)
    throw ctx.port_error(port,
                         "the image is empty (" + std::to_string(m.cols) + "x" + std::to_string(m.rows) + " pixels)");
  return m;
}

namespace {

// Splits colour and alpha; returns the colour composited onto white.
cv::Mat composite_on_white(const cv::Mat& m) {
  const int c = m.channels();
  if (c != 2 && c != 4) return m;
  std::vector<cv::Mat> ch;
  cv::split(m, ch);
  cv::Mat alpha = ch.back();
  ch.pop_back();
  for (cv::Mat& x : ch) x = x.mul(alpha) + (1.0 - alpha);
  cv::Mat out;
  cv::merge(ch, out);
  return out;
}

}  // namespace

cv::Mat to_rgb_on_white(const cv::Mat& m) {
  cv::Mat c = composite_on_white(m), out;
  if (c.channels() == 3) return c;
  cv::cvtColor(c, out, cv::COLOR_GRAY2RGB);
  return out;
}

cv::Mat to_gray_on_white(const cv::Mat& m) {
  cv::Mat c = composite_on_white(m), out;
  if (c.channels() == 1) return c;
  cv::cvtColor(c, out, cv::COLOR_RGB2GRAY);
  return out;
}

cv::Mat sketch_ink(const cv::Mat& m) {
  cv::Mat ink = 1.0 - to_gray_on_white(m);
  cv::max(ink, 0.0, ink);
  cv::min(ink, 1.0, ink);
  return ink;
}

int ink_components(const cv::Mat& ink, double level, cv::Mat& labels, const CancelToken& cancel,
                   std::vector<int>* areas) {
  cv::Mat on = ink > level;
  cv::Mat stats;
  // One global pass (labels are merged across the whole image): not split.
  auto [found, stats_found] = run_cancellable(cancel, std::int64_t{8} * on.rows * on.cols, [on] {
    cv::Mat l, s, centroids;
    cv::connectedComponentsWithStats(on, l, s, centroids, 8, CV_32S);
    return std::make_pair(l, s);
  });
  labels = found;
  stats = stats_found;
  const int n = stats.rows - 1;
  if (areas) {
    areas->assign(static_cast<std::size_t>(n) + 1, 0);
    for (int i = 1; i <= n; ++i) (*areas)[static_cast<std::size_t>(i)] = stats.at<int>(i, cv::CC_STAT_AREA);
  }
  return n;
}

void cut_lines(const cv::Mat& labels, int n, const std::vector<int>& areas, std::int64_t length, Rng& rng,
               cv::Mat& band, std::vector<int>& pieces, const CancelToken& cancel) {
  const int rows = labels.rows, cols = labels.cols;
  band.create(rows, cols, CV_32S);
  band.setTo(0);
  pieces.assign(static_cast<std::size_t>(n) + 1, 1);
  if (length <= 0 || n <= 0) return;
  // The pixels of line i are pixels[first[i] .. first[i + 1]), in raster order.
  std::vector<std::size_t> first(static_cast<std::size_t>(n) + 2, 0);
  for (std::size_t i = 1; i <= static_cast<std::size_t>(n); ++i)
    first[i + 1] = first[i] + static_cast<std::size_t>(areas[i]);
  std::vector<std::int64_t> pixels(first.back());
  std::vector<std::size_t> fill(first.begin(), first.end());
  for (int y = 0; y < rows; ++y) {
    if ((y & 255) == 0) cancel.check();
    const int* l = labels.ptr<int>(y);
    for (int x = 0; x < cols; ++x)
      if (l[x]) pixels[fill[static_cast<std::size_t>(l[x])]++] = static_cast<std::int64_t>(y) * cols + x;
  }
  cv::Mat dist(rows, cols, CV_32S, cv::Scalar(-1));
  std::vector<std::int64_t> queue;
  for (int i = 1; i <= n; ++i) {
    const std::size_t a = first[static_cast<std::size_t>(i)], count = first[static_cast<std::size_t>(i) + 1] - a;
    const std::uint32_t start = rng.below(static_cast<std::uint32_t>(count));  // drawn for every line
    if (count <= static_cast<std::size_t>(length)) continue;
    cancel.check();
    queue.assign(1, pixels[a + start]);
    dist.at<int>(static_cast<int>(queue[0] / cols), static_cast<int>(queue[0] % cols)) = 0;
    int far = 0;
    for (std::size_t q = 0; q < queue.size(); ++q) {
      if ((q & 0xffff) == 0xffff) cancel.check();
      const int py = static_cast<int>(queue[q] / cols), px = static_cast<int>(queue[q] % cols);
      const int d = dist.at<int>(py, px);
      far = std::max(far, d);
      band.at<int>(py, px) = static_cast<int>(d / length);
      for (int ny = std::max(0, py - 1); ny <= std::min(rows - 1, py + 1); ++ny)
        for (int nx = std::max(0, px - 1); nx <= std::min(cols - 1, px + 1); ++nx)
          if (labels.at<int>(ny, nx) == i && dist.at<int>(ny, nx) < 0) {
            dist.at<int>(ny, nx) = d + 1;
            queue.push_back(static_cast<std::int64_t>(ny) * cols + nx);
          }
    }
    pieces[static_cast<std::size_t>(i)] = static_cast<int>(far / length) + 1;
  }
}

cv::Mat smooth_noise(Rng& rng, int rows, int cols, double scale, const CancelToken& cancel) {
  const int gw = std::max(2, static_cast<int>(std::ceil(cols / scale)) + 1);
  const int gh = std::max(2, static_cast<int>(std::ceil(rows / scale)) + 1);
  cv::Mat grid(gh, gw, CV_32F);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) grid.at<float>(y, x) = static_cast<float>(rng.normal());
  // Whole-image steps (the mean is one sum): one call, abandoned on cancellation.
  return run_cancellable(cancel, std::int64_t{24} * rows * cols, [grid, rows, cols] {
    cv::Mat field;
    cv::resize(grid, field, cv::Size(cols, rows), 0, 0, cv::INTER_CUBIC);
    const double rms = std::sqrt(cv::mean(field.mul(field))[0]);
    if (rms > 1e-9) field *= 1.0 / rms;
    return field;
  });
}

}  // namespace sumi
