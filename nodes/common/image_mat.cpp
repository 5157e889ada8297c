#include "nodes/common/image_mat.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"

namespace sumi {
namespace {

at::Tensor mat_to_tensor(const cv::Mat& m, const std::string& device) {
  if (m.empty()) throw Error("cannot make an image from an empty matrix");
  cv::Mat f;
  if (m.depth() == CV_8U) m.convertTo(f, CV_32F, 1.0 / 255.0);
  else if (m.depth() == CV_32F) f = m.isContinuous() ? m : m.clone();
  else m.convertTo(f, CV_32F);
  if (!f.isContinuous()) f = f.clone();
  const int c = f.channels();
  at::Tensor hwc = at::from_blob(f.data, {f.rows, f.cols, c}, at::kFloat);
  // clone(), not contiguous(): for one channel the permuted view already counts
  // as contiguous and would keep pointing into f, which dies with this scope.
  at::Tensor t = hwc.permute({2, 0, 1}).unsqueeze(0).clone(at::MemoryFormat::Contiguous);
  if (device != "cpu") t = t.to(c10::Device(device));
  return t;
}

}  // namespace

cv::Mat image_to_mat(const Value& image, const NodeContext& ctx, std::string_view port) {
  try {
    return image_to_mat(image);
  } catch (const Error& e) {
    throw ctx.port_error(port, e.message());
  }
}

cv::Mat image_to_mat(const Value& image) {
  if (image.empty() || (image.kind() != ValueKind::Image && image.kind() != ValueKind::Mask))
    throw Error("expected an Image, got " + image.describe());
  at::Tensor t = image.tensor();
  if (t.size(0) != 1) throw Error("batches of " + std::to_string(t.size(0)) + " images are not supported here; give one image");
  if (!t.is_cpu()) t = t.cpu();
  const int c = static_cast<int>(t.size(1)), h = static_cast<int>(t.size(2)), w = static_cast<int>(t.size(3));
  at::Tensor hwc = t[0].permute({1, 2, 0}).contiguous();
  cv::Mat m(h, w, CV_32FC(c));
  const std::size_t bytes = static_cast<std::size_t>(h) * w * c * sizeof(float);
  if (bytes > 0) std::memcpy(m.data, hwc.data_ptr<float>(), bytes);  // an empty image has no data pointer
  return m;
}

Value mat_to_image(const cv::Mat& m, const std::string& device) { return make_image(mat_to_tensor(m, device)); }

Value mat_to_mask(const cv::Mat& m, const std::string& device) {
  if (m.channels() != 1) throw Error("a mask needs 1 channel, got " + std::to_string(m.channels()));
  return make_mask(mat_to_tensor(m, device));
}

}  // namespace sumi
