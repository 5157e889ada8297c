#include "editor/server/pixel_reply.h"

#include <cstdint>

#include "nodes/common/image_mat.h"

namespace sumi::editor {

std::string rgba8_bytes(const cv::Mat& image) {
  cv::Mat u8;
  image.convertTo(u8, CV_8U, 255.0);  // saturates out-of-range values
  const int c = u8.channels();
  std::string out(static_cast<std::size_t>(u8.rows) * u8.cols * 4, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (int y = 0; y < u8.rows; ++y) {
    const unsigned char* src = u8.ptr<unsigned char>(y);
    for (int x = 0; x < u8.cols; ++x, src += c, dst += 4) {
      dst[0] = src[0];
      dst[1] = c >= 3 ? src[1] : src[0];
      dst[2] = c >= 3 ? src[2] : src[0];
      dst[3] = c == 4 ? src[3] : 255;
    }
  }
  return out;
}

void send_with_pixels(httplib::Response& res, Json reply, const std::map<std::string, StoredOutput>& stored,
                      const std::map<std::string, std::string>& shown, std::size_t max_pixel_bytes) {
  std::string pixels;
  for (Json& o : reply["outputs"]) {
    if (!o.contains("hash")) continue;  // not an image: described in the JSON
    const std::string name = o["name"];
    auto seen = shown.find(name);
    if (seen != shown.end() && seen->second == o["hash"]) {
      o["unchanged"] = true;
      continue;
    }
    const cv::Mat image = image_to_mat(stored.at(name).value);
    // Raw pixels are 4 bytes each: huge images stay behind their PNG url.
    if (pixels.size() + static_cast<std::size_t>(image.total()) * 4 > max_pixel_bytes) continue;
    o["pixels"] = {{"offset", pixels.size()}, {"width", image.cols}, {"height", image.rows}};
    pixels += rgba8_bytes(image);
  }
  const std::string json = reply.dump(-1, ' ', false, Json::error_handler_t::replace);
  const auto n = static_cast<std::uint32_t>(json.size());
  std::string body;
  body.reserve(4 + json.size() + pixels.size());
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  body += json;
  body += pixels;
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(body), kPixelReplyType);
}

}  // namespace sumi::editor
