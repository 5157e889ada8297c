#include "nodes/io/load_image.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/atomic_file.h"
#include "nodes/common/cancellable.h"
#include "nodes/common/image_header.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/jpeg.h"
#include "nodes/common/png.h"

namespace sumi {

namespace {

// One band of rows of a decoded image (8/16-bit or float, gray, BGR or BGRA)
// as float 0..1 in the wanted channels.
void convert_rows(const cv::Mat& raw, const std::string& want, cv::Mat& out) {
  cv::Mat f;
  const double scale = raw.depth() == CV_16U ? 1.0 / 65535.0 : raw.depth() == CV_8U ? 1.0 / 255.0 : 1.0;
  raw.convertTo(f, CV_32F, scale);
  const int c = f.channels();
  if (want == "gray") {
    if (c == 1) f.copyTo(out);
    else cv::cvtColor(f, out, c == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  } else if (want == "rgba") {
    cv::cvtColor(f, out, c == 1 ? cv::COLOR_GRAY2RGBA : c == 4 ? cv::COLOR_BGRA2RGBA : cv::COLOR_BGR2RGBA);
  } else if (c == 4) {
    // Composite transparent pixels onto white paper.
    std::vector<cv::Mat> ch;
    cv::split(f, ch);
    for (int i = 0; i < 3; ++i) ch[static_cast<std::size_t>(i)] = ch[static_cast<std::size_t>(i)].mul(ch[3]) + (1.0 - ch[3]);
    ch.pop_back();
    cv::Mat bgr;
    cv::merge(ch, bgr);
    cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
  } else {
    cv::cvtColor(f, out, c == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_BGR2RGB);
  }
}

}  // namespace

cv::Mat read_image_file(const std::string& path, const std::string& want, const CancelToken* cancel) {
  const ErrorContext file_ctx{path, {}, {}, {}, {}};
  const std::string bytes = read_file(path);  // clear errors for missing files
  if (bytes.empty()) throw Error(file_ctx, "the file is empty");
  const CancelToken none;
  const CancelToken& token = cancel ? *cancel : none;
  cv::Mat raw;
  // libpng's and libjpeg's messages become the error (or are dropped), not stderr lines.
  if (is_png(bytes)) {
    raw = decode_png(bytes, path, cancel);
  } else if (is_jpeg(bytes)) {
    raw = decode_jpeg(bytes, path, cancel);
  } else {
    // Other formats through OpenCV, once their header's size is known to be reasonable.
    const cv::Size size = image_header_size(bytes, path);
    check_image_size(static_cast<std::uint64_t>(size.width), static_cast<std::uint64_t>(size.height), path);
    token.check();
    try {
      raw = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                         cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
    } catch (const cv::Exception&) {
      raw.release();
    }
    if (raw.empty()) throw Error(file_ctx, "not a readable image (corrupt or unsupported format)");
    check_image_size(static_cast<std::uint64_t>(raw.cols), static_cast<std::uint64_t>(raw.rows), path);
  }
  cv::Mat out(raw.size(), CV_MAKETYPE(CV_32F, want == "gray" ? 1 : want == "rgba" ? 4 : 3));
  for_row_bands(token, raw.rows, std::int64_t{8} * raw.cols * raw.channels(), [&](int y0, int y1) {
    cv::Mat band = out.rowRange(y0, y1);
    convert_rows(raw.rowRange(y0, y1), want, band);
  });
  return out;
}

NodeDescriptor load_image_node() {
  NodeDescriptor d;
  d.id = "io.load_image";
  d.doc = "Reads an image file into an Image with values in 0..1";
  d.outputs = {PortSpec::out("image", ValueKind::Image, "the image")};
  d.params = {ParamSpec::path("path", "", "image file: PNG, JPEG, BMP or WebP (TIFF, PNM, OpenEXR, GIF ... are refused)").reads(),
              ParamSpec::choice("channels", {"rgb", "rgba", "gray"}, "rgb", "channels of the result")};
  d.compute = [](NodeContext& ctx) {
    const std::string& path = ctx.param_string("path");
    if (path.empty()) throw ctx.param_error("path", "no image file given");
    cv::Mat out;
    try {
      out = read_image_file(path, ctx.param_string("channels"), &ctx.cancel_token());
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      throw Error(ErrorContext{path, ctx.node_id(), ctx.type(), {}, {}}, e.message());
    }
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
