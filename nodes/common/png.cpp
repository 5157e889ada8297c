#include "nodes/common/png.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/atomic_file.h"
#include "engine/error.h"

namespace sumi {

std::string encode_png(const cv::Mat& m) {
  cv::Mat u8, bgr;
  m.convertTo(u8, CV_8U, 255.0);  // saturates out-of-range values
  const int c = u8.channels();
  if (c == 3) cv::cvtColor(u8, bgr, cv::COLOR_RGB2BGR);
  else if (c == 4) cv::cvtColor(u8, bgr, cv::COLOR_RGBA2BGRA);
  else bgr = u8;
  std::vector<unsigned char> buf;
  if (!cv::imencode(".png", bgr, buf)) throw Error("PNG encoding failed");
  return std::string(buf.begin(), buf.end());
}

void write_png(const cv::Mat& m, const std::string& path) { write_file_atomic(path, encode_png(m)); }

}  // namespace sumi
