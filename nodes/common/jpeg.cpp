#include "nodes/common/jpeg.h"

// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
#include <jpeglib.h>

#include <csetjmp>
#include <vector>

#include "engine/error.h"
#include "nodes/common/image_header.h"

namespace sumi {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
// libjpeg's default prints warnings on stderr; OpenCV showed them and went on.
extern "C" void on_jpeg_message(j_common_ptr) {}

struct Decompress {
  jpeg_decompress_struct cinfo{};
  bool created = false;
  ~Decompress() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

constexpr int kRowsPerCheck = 64;

}  // namespace

bool is_jpeg(std::string_view bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF;
}

cv::Mat decode_jpeg(std::string_view bytes, const std::string& file, const CancelToken* cancel) {
  const ErrorContext ctx{file, {}, {}, {}, {}};
  const cv::Size declared = image_header_size(bytes, file);  // throws when there is no frame header
  check_image_size(static_cast<std::uint64_t>(declared.width), static_cast<std::uint64_t>(declared.height), file);
  ErrorManager err;
  Decompress d;
  cv::Mat img;
  std::vector<unsigned char> cmyk;
  d.cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_jpeg_error;
  err.pub.output_message = on_jpeg_message;
  err.message[0] = '\0';
  // No C++ object is created between setjmp and the last libjpeg call: a
  // longjmp back here must not skip a destructor.
  if (setjmp(err.jump)) throw Error(ctx, std::string("not a readable JPEG image: ") + err.message);
  jpeg_create_decompress(&d.cinfo);
  d.created = true;
  jpeg_mem_src(&d.cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d.cinfo, TRUE);
  check_image_size(d.cinfo.image_width, d.cinfo.image_height, file);
  // OpenCV's JpegDecoder: gray stays gray, colour is read as BGR, CMYK converted below.
  const bool color = d.cinfo.num_components > 1;
  const bool is_cmyk = d.cinfo.num_components == 4;
  if (is_cmyk) {
    d.cinfo.out_color_space = JCS_CMYK;
    d.cinfo.out_color_components = 4;
  } else if (color) {
    d.cinfo.out_color_space = JCS_EXT_BGR;
    d.cinfo.out_color_components = 3;
  } else {
    d.cinfo.out_color_space = JCS_GRAYSCALE;
    d.cinfo.out_color_components = 1;
  }
  jpeg_start_decompress(&d.cinfo);
  img.create(static_cast<int>(d.cinfo.output_height), static_cast<int>(d.cinfo.output_width), color ? CV_8UC3 : CV_8UC1);
  if (is_cmyk) cmyk.resize(static_cast<std::size_t>(img.cols) * 4);
  for (int y = 0; y < img.rows; ++y) {
    if (cancel && y % kRowsPerCheck == 0) cancel->check();
    JSAMPROW row = is_cmyk ? cmyk.data() : img.ptr(y);
    jpeg_read_scanlines(&d.cinfo, &row, 1);
    if (is_cmyk) {
      unsigned char* bgr = img.ptr(y);
      for (int x = 0; x < img.cols; ++x) {
        const int c = cmyk[4 * x], m = cmyk[4 * x + 1], yl = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        bgr[3 * x + 2] = static_cast<unsigned char>(k - ((255 - c) * k >> 8));
        bgr[3 * x + 1] = static_cast<unsigned char>(k - ((255 - m) * k >> 8));
        bgr[3 * x] = static_cast<unsigned char>(k - ((255 - yl) * k >> 8));
      }
    }
  }
  jpeg_finish_decompress(&d.cinfo);
  return img;
}

}  // namespace sumi
