#include "nodes/common/image_mat.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"
#include "nodes/common/cancellable.h"

namespace sumi {
namespace {

at::Tensor mat_to_tensor(const cv::Mat& m, const std::string& device, const CancelToken* cancel) {
  if (m.empty()) throw Error("cannot make an image from an empty matrix");
  cv::Mat f;
  if (m.depth() == CV_8U) m.convertTo(f, CV_32F, 1.0 / 255.0);
  else if (m.depth() == CV_32F) f = m;
  else m.convertTo(f, CV_32F);
  const int c = f.channels();
  // Interleaved rows to channel planes, a band of rows at a time (a copy:
  // the tensor must not point into f, which dies with this scope).
  at::Tensor t = at::empty({1, c, f.rows, f.cols}, at::kFloat);
  const CancelToken none;
  for_row_bands(cancel ? *cancel : none, f.rows, std::int64_t{2} * f.cols * c, [&](int y0, int y1) {
    at::Tensor band = at::from_blob(f.ptr<float>(y0), {y1 - y0, f.cols, c}, {static_cast<std::int64_t>(f.step1()), c, 1}, at::kFloat);
    t[0].narrow(1, y0, y1 - y0).copy_(band.permute({2, 0, 1}));
  });
  if (device != "cpu") t = t.to(c10::Device(device));
  return t;
}

}  // namespace

cv::Mat image_to_mat(const Value& image, const NodeContext& ctx, std::string_view port) {
  try {
    return image_to_mat(image, &ctx.cancel_token());
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    throw ctx.port_error(port, e.message());
  }
}

cv::Mat image_to_mat(const Value& image, const CancelToken* cancel) {
  if (image.empty() || (image.kind() != ValueKind::Image && image.kind() != ValueKind::Mask))
    throw Error("expected an Image, got " + image.describe());
  at::Tensor t = image.tensor();
  if (t.size(0) != 1) throw Error("batches of " + std::to_string(t.size(0)) + " images are not supported here; give one image");
  if (!t.is_cpu()) t = t.cpu();
  const int c = static_cast<int>(t.size(1)), h = static_cast<int>(t.size(2)), w = static_cast<int>(t.size(3));
  cv::Mat m(h, w, CV_32FC(c));
  if (m.empty()) return m;  // an empty image has no data pointer
  // Channel planes to interleaved rows, a band of rows at a time.
  const CancelToken none;
  for_row_bands(cancel ? *cancel : none, h, std::int64_t{2} * w * c, [&](int y0, int y1) {
    at::from_blob(m.ptr<float>(y0), {y1 - y0, w, c}, at::kFloat).copy_(t[0].narrow(1, y0, y1 - y0).permute({1, 2, 0}));
  });
  return m;
}

Value mat_to_image(const cv::Mat& m, const std::string& device, const CancelToken* cancel) {
  return make_image(mat_to_tensor(m, device, cancel));
}

Value mat_to_mask(const cv::Mat& m, const std::string& device, const CancelToken* cancel) {
  if (m.channels() != 1) throw Error("a mask needs 1 channel, got " + std::to_string(m.channels()));
  return make_mask(mat_to_tensor(m, device, cancel));
}

}  // namespace sumi
