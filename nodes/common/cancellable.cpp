#include "nodes/common/cancellable.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <opencv2/imgproc.hpp>

namespace sumi {
namespace {

// cv::Mat memory from calloc (OpenCV's own allocator, fastMalloc, does not zero).
class CallocAllocator : public cv::MatAllocator {
 public:
  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data0, std::size_t* step, cv::AccessFlag,
                         cv::UMatUsageFlags) const override {
    std::size_t total = CV_ELEM_SIZE(type);
    for (int i = dims - 1; i >= 0; --i) {
      if (step) {
        if (data0 && step[i] != 0x7fffffff) total = step[i];  // CV_AUTOSTEP (core_c.h)
        else step[i] = total;
      }
      total *= static_cast<std::size_t>(sizes[i]);
    }
    void* data = data0 ? data0 : std::calloc(total ? total : 1, 1);
    if (!data) throw std::bad_alloc();
    auto* u = new cv::UMatData(this);
    u->data = u->origdata = static_cast<uchar*>(data);
    u->size = total;
    if (data0) u->flags |= cv::UMatData::USER_ALLOCATED;
    return u;
  }
  bool allocate(cv::UMatData* u, cv::AccessFlag, cv::UMatUsageFlags) const override { return u != nullptr; }
  void deallocate(cv::UMatData* u) const override {
    if (!u) return;
    if (!(u->flags & cv::UMatData::USER_ALLOCATED)) std::free(u->origdata);
    delete u;
  }
};

}  // namespace

cv::Mat lazy_zeros(int rows, int cols, int type) {
  static CallocAllocator allocator;  // stateless; lives as long as any matrix it made
  cv::Mat m;
  m.allocator = &allocator;
  m.create(rows, cols, type);
  return m;
}

cv::Mat gaussian_blur(const cv::Mat& src, double sigma, int border, const CancelToken& cancel) {
  cv::Mat dst;
  if (src.depth() != CV_32F) throw Error("gaussian_blur: expected a float image");
  // cv::GaussianBlur's kernel for float images: 4 sigma each side, odd.
  const int ksize = cvRound(sigma * 4 * 2 + 1) | 1;
  const std::int64_t row_work = static_cast<std::int64_t>(src.cols) * src.channels() * ksize;
  if (row_work * src.rows <= 4 * kBandWork || src.isSubmatrix()) {
    cv::GaussianBlur(src, dst, cv::Size(0, 0), sigma, sigma, border);  // small: one call, as before
    return dst;
  }
  // As cv::GaussianBlur does: a 1-pixel-wide or -tall image is not blurred
  // along that side (the border would be all the image holds).
  const cv::Mat one = (cv::Mat_<float>(1, 1) << 1.0f);
  const cv::Mat k = cv::getGaussianKernel(ksize, sigma, CV_32F);
  const cv::Mat kx = src.cols == 1 && (border & ~cv::BORDER_ISOLATED) != cv::BORDER_CONSTANT ? one : k;
  const cv::Mat ky = src.rows == 1 && (border & ~cv::BORDER_ISOLATED) != cv::BORDER_CONSTANT ? one : k;
  cv::Mat rows_done(src.size(), src.type());
  dst.create(src.size(), src.type());
  for_row_bands(cancel, src.rows, row_work, [&](int y0, int y1) {
    cv::Mat out = rows_done.rowRange(y0, y1);
    cv::sepFilter2D(src.rowRange(y0, y1), out, CV_32F, kx, one, cv::Point(-1, -1), 0, border);
  });
  // A band of rows_done reads ky.rows / 2 rows above and below it from
  // rows_done itself (not a border), so each band equals the whole pass.
  for_row_bands(cancel, src.rows, row_work + static_cast<std::int64_t>(src.cols) * src.channels() * ky.rows / 8,
                [&](int y0, int y1) {
                  cv::Mat out = dst.rowRange(y0, y1);
                  cv::sepFilter2D(rows_done.rowRange(y0, y1), out, CV_32F, one, ky, cv::Point(-1, -1), 0, border);
                });
  return dst;
}

cv::Mat remap_banded(const cv::Mat& src, const cv::Mat& map_x, const cv::Mat& map_y, int interpolation, int border,
                     const cv::Scalar& value, const CancelToken& cancel) {
  cv::Mat dst(map_x.size(), src.type());
  const int taps = interpolation == cv::INTER_CUBIC ? 16 : interpolation == cv::INTER_LANCZOS4 ? 64 : 4;
  for_row_bands(cancel, map_x.rows, static_cast<std::int64_t>(map_x.cols) * src.channels() * taps, [&](int y0, int y1) {
    cv::Mat out = dst.rowRange(y0, y1);
    cv::remap(src, out, map_x.rowRange(y0, y1), map_y.rowRange(y0, y1), interpolation, border, value);
  });
  return dst;
}

cv::Mat dilate_banded(const cv::Mat& src, const cv::Mat& kernel, const CancelToken& cancel) {
  cv::Mat dst(src.size(), src.type());
  const std::int64_t taps = std::max(1, cv::countNonZero(kernel));
  for_row_bands(cancel, src.rows, static_cast<std::int64_t>(src.cols) * src.channels() * (taps + kernel.rows), [&](int y0, int y1) {
    cv::Mat out = dst.rowRange(y0, y1);
    cv::dilate(src.rowRange(y0, y1), out, kernel);
  });
  return dst;
}

namespace {

std::atomic<int> g_abandoned{0};

struct CallState {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  bool abandoned = false;
  std::exception_ptr error;
  std::function<void()> work;
};

}  // namespace

int abandoned_calls_running() { return g_abandoned.load(); }

void run_cancellable_void(const CancelToken& cancel, std::int64_t work_estimate, std::function<void()> work) {
  cancel.check();
  if (work_estimate <= kBandWork) {
    work();
    return;
  }
  auto state = std::make_shared<CallState>();
  state->work = std::move(work);
  std::thread worker([state] {
    std::exception_ptr error;
    try {
      state->work();
    } catch (...) {
      error = std::current_exception();
    }
    state->work = nullptr;  // frees the inputs it captured
    std::lock_guard<std::mutex> lock(state->mutex);
    state->error = error;
    state->done = true;
    if (state->abandoned) g_abandoned.fetch_sub(1);
    state->done_cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(state->mutex);
  while (!state->done) {
    state->done_cv.wait_for(lock, std::chrono::milliseconds(10));
    if (state->done || !cancel.cancelled()) continue;
    // Abandon the call unless too many already run in the background.
    int running = g_abandoned.load();
    while (running < kMaxAbandonedCalls && !g_abandoned.compare_exchange_weak(running, running + 1)) {
    }
    if (running < kMaxAbandonedCalls) {
      state->abandoned = true;
      lock.unlock();
      worker.detach();
      throw Cancelled();
    }
  }
  lock.unlock();
  worker.join();
  if (state->error) std::rethrow_exception(state->error);
  cancel.check();
}

}  // namespace sumi
