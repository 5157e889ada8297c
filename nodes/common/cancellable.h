// Long image work that a run's cancellation stops within a fraction of a
// second (issue 21): work split into row bands with a cancellation check
// between them, giving exactly the result of the one OpenCV call it replaces.
//
//   for_row_bands(cancel, rows, cols * 9, [&](int y0, int y1) { ... rows y0..y1-1 ... });
//   cv::Mat b = gaussian_blur(m, sigma, cv::BORDER_REPLICATE, cancel);  // == cv::GaussianBlur, bit for bit
//   cv::Mat r = run_cancellable(cancel, pixels, [=] { cv::Mat o; cv::resize(m, o, size); return o; });
//
// Calls that cannot be split without changing their result (resize,
// warpAffine, Canny, connected components: each output row depends on
// geometry computed for the whole image, or on the whole image) go through
// run_cancellable: above a size they run on their own thread and a
// cancellation returns at once, leaving that thread to finish in the
// background (its result is dropped; at most kMaxAbandonedCalls at a time,
// beyond that the caller waits for the call as before).
//
// Thread safety: pure functions; the token may be cancelled from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

#include <opencv2/core.hpp>

#include "engine/progress.h"

namespace sumi {

// Elementary operations (multiply-adds, pixel visits) per band: a few
// milliseconds of one core, so a cancelled node stops well within 0.5 s.
constexpr std::int64_t kBandWork = std::int64_t{1} << 23;

// Calls fn(y0, y1) over consecutive bands covering rows 0..rows-1, each about
// kBandWork / work_per_row rows (at least 1), checking `cancel` before each.
template <typename Fn>
void for_row_bands(const CancelToken& cancel, int rows, std::int64_t work_per_row, Fn&& fn) {
  const auto band = static_cast<int>(std::clamp<std::int64_t>(kBandWork / std::max<std::int64_t>(1, work_per_row), 1, rows > 0 ? rows : 1));
  for (int y = 0; y < rows; y += band) {
    cancel.check();
    fn(y, std::min(rows, y + band));
  }
}

// A zero matrix from calloc: large blocks come straight from the OS as zero
// pages, touched only where written, so a 16384 x 16384 raster costs nothing
// before it is drawn on (filling it with setTo(0) took most of a second
// that no cancellation could interrupt).
cv::Mat lazy_zeros(int rows, int cols, int type);

// cv::GaussianBlur(src, dst, Size(0, 0), sigma, sigma, border) for CV_32F
// images, bit for bit, in cancellable bands: the horizontal pass in row
// bands, then the vertical pass in row bands that read their neighbours'
// rows (OpenCV filters a band of a larger matrix using the rows around it).
cv::Mat gaussian_blur(const cv::Mat& src, double sigma, int border, const CancelToken& cancel);

// cv::remap(src, dst, map_x, map_y, interpolation, border, value) in bands of
// output rows (each output pixel depends only on its own map entries).
cv::Mat remap_banded(const cv::Mat& src, const cv::Mat& map_x, const cv::Mat& map_y, int interpolation, int border,
                     const cv::Scalar& value, const CancelToken& cancel);

// cv::dilate(src, dst, kernel) (default anchor, border and one iteration) in
// bands of rows (each band reads the rows around it, as a blur does).
cv::Mat dilate_banded(const cv::Mat& src, const cv::Mat& kernel, const CancelToken& cancel);

// How many calls abandoned by a cancellation may still be running; beyond
// it a cancelled caller waits for its call to end (bounded CPU and memory).
constexpr int kMaxAbandonedCalls = 2;
// The number of abandoned calls still running (the CLI exits without
// running static destructors while one is).
int abandoned_calls_running();

// Runs `work` (which must own everything it uses: capture cv::Mat by value)
// and returns when it ends, or throws Cancelled soon after `cancel` is set.
// Work below kBandWork operations runs on the calling thread.
void run_cancellable_void(const CancelToken& cancel, std::int64_t work_estimate, std::function<void()> work);

template <typename Fn>
auto run_cancellable(const CancelToken& cancel, std::int64_t work_estimate, Fn fn) -> std::invoke_result_t<Fn> {
  using R = std::invoke_result_t<Fn>;
  auto result = std::make_shared<R>();
  run_cancellable_void(cancel, work_estimate, [result, fn = std::move(fn)]() mutable { *result = fn(); });
  return std::move(*result);
}

}  // namespace sumi
