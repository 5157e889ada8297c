#include "nodes/common/png.h"

#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "nodes/common/cancellable.h"
#include "nodes/common/image_header.h"

namespace sumi {
namespace {

// What libpng's callbacks share with the code that called it.
struct PngIo {
  const unsigned char* in = nullptr;  // decoding: the file's bytes
  std::size_t size = 0, pos = 0;
  std::string* out = nullptr;  // encoding: the bytes written
  std::string error;           // libpng's message, when it failed
};

extern "C" void on_png_error(png_structp png, png_const_charp message) {
  auto* io = static_cast<PngIo*>(png_get_error_ptr(png));
  io->error = message && *message ? message : "unknown libpng error";
  png_longjmp(png, 1);
}
// Warnings (a bad CRC in an ancillary chunk, an unknown sRGB profile) leave
// a usable image: they are dropped rather than printed on stderr.
extern "C" void on_png_warning(png_structp, png_const_charp) {}

extern "C" void read_png_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  if (n > io->size - io->pos) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, io->in + io->pos, n);
  io->pos += n;
}
extern "C" void write_png_bytes(png_structp png, png_bytep data, png_size_t n) {
  static_cast<PngIo*>(png_get_io_ptr(png))->out->append(reinterpret_cast<const char*>(data), n);
}
extern "C" void flush_png(png_structp) {}

struct ReadGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~ReadGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};
struct WriteGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~WriteGuard() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

// Rows between two cancellation checks.
constexpr int kRowsPerCheck = 64;

}  // namespace

bool is_png(std::string_view bytes) { return bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0; }

cv::Mat decode_png(std::string_view bytes, const std::string& file, const CancelToken* cancel) {
  const ErrorContext ctx{file, {}, {}, {}, {}};
  if (!is_png(bytes)) throw Error(ctx, "not a PNG file");
  // The size from IHDR (always the first chunk), before libpng allocates anything.
  if (bytes.size() < 24 || std::memcmp(bytes.data() + 12, "IHDR", 4) != 0)
    throw Error(ctx, "not a readable PNG image: no IHDR header");
  check_image_size(png_get_uint_32(reinterpret_cast<png_const_bytep>(bytes.data()) + 16),
                   png_get_uint_32(reinterpret_cast<png_const_bytep>(bytes.data()) + 20), file);
  PngIo io;
  io.in = reinterpret_cast<const unsigned char*>(bytes.data());
  io.size = bytes.size();
  ReadGuard g;
  g.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_png_error, on_png_warning);
  if (!g.png) throw Error(ctx, "libpng could not start (out of memory)");
  g.info = png_create_info_struct(g.png);
  if (!g.info) throw Error(ctx, "libpng could not start (out of memory)");
  cv::Mat img;
  // No C++ object is created between setjmp and the last libpng call: a
  // longjmp back here must not skip a destructor.
  if (setjmp(png_jmpbuf(g.png))) throw Error(ctx, "not a readable PNG image: " + io.error);
  png_set_read_fn(g.png, &io, read_png_bytes);
  png_read_info(g.png, g.info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(g.png, g.info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  // The layout cv::imdecode(IMREAD_UNCHANGED) gives (OpenCV's PngDecoder).
  int channels = 1;
  if (color_type == PNG_COLOR_TYPE_RGB || color_type == PNG_COLOR_TYPE_PALETTE)
    channels = png_get_valid(g.png, g.info, PNG_INFO_tRNS) ? 4 : 3;
  else if (color_type == PNG_COLOR_TYPE_GRAY_ALPHA || color_type == PNG_COLOR_TYPE_RGB_ALPHA)
    channels = 4;
  if (bit_depth == 16) png_set_swap(g.png);  // little-endian host
  if (channels < 4) png_set_strip_alpha(g.png);
  else png_set_tRNS_to_alpha(g.png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(g.png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(g.png);
  if ((color_type & PNG_COLOR_MASK_COLOR) && channels > 1) png_set_bgr(g.png);
  else if (channels > 1) png_set_gray_to_rgb(g.png);
  const int passes = png_set_interlace_handling(g.png);
  png_read_update_info(g.png, g.info);
  img.create(static_cast<int>(height), static_cast<int>(width), CV_MAKETYPE(bit_depth == 16 ? CV_16U : CV_8U, channels));
  if (png_get_rowbytes(g.png, g.info) != img.cols * img.elemSize())
    throw Error(ctx, "not a readable PNG image: unexpected row size");
  for (int pass = 0; pass < passes; ++pass)
    for (int y = 0; y < img.rows; ++y) {
      if (cancel && y % kRowsPerCheck == 0) cancel->check();
      png_read_row(g.png, img.ptr(y), nullptr);
    }
  png_read_end(g.png, nullptr);
  return img;
}

std::string encode_png(const cv::Mat& m, const CancelToken* cancel) {
  const int c = m.channels();
  if (m.empty() || (c != 1 && c != 3 && c != 4)) throw Error("PNG encoding: expected a non-empty 1, 3 or 4 channel image");
  const CancelToken none;
  const CancelToken& token = cancel ? *cancel : none;
  cv::Mat u8(m.size(), CV_MAKETYPE(CV_8U, c));
  for_row_bands(token, m.rows, static_cast<std::int64_t>(m.cols) * c, [&](int y0, int y1) {
    cv::Mat out = u8.rowRange(y0, y1);
    m.rowRange(y0, y1).convertTo(out, CV_8U, 255.0);  // saturates out-of-range values
  });
  std::string bytes;
  PngIo io;
  io.out = &bytes;
  WriteGuard g;
  g.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_png_error, on_png_warning);
  if (!g.png) throw Error("PNG encoding: libpng could not start (out of memory)");
  g.info = png_create_info_struct(g.png);
  if (!g.info) throw Error("PNG encoding: libpng could not start (out of memory)");
  if (setjmp(png_jmpbuf(g.png))) throw Error("PNG encoding failed: " + io.error);
  png_set_write_fn(g.png, &io, write_png_bytes, flush_png);
  // OpenCV's PngEncoder defaults, so files are byte for byte what they were.
  png_set_filter(g.png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_compression_level(g.png, Z_BEST_SPEED);
  png_set_compression_strategy(g.png, Z_RLE);
  png_set_IHDR(g.png, g.info, static_cast<png_uint_32>(u8.cols), static_cast<png_uint_32>(u8.rows), 8,
               c == 1 ? PNG_COLOR_TYPE_GRAY : c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(g.png, g.info);
  for (int y = 0; y < u8.rows; ++y) {
    if (cancel && y % kRowsPerCheck == 0) cancel->check();
    png_write_row(g.png, u8.ptr(y));
  }
  png_write_end(g.png, g.info);
  return bytes;
}

void write_png(const cv::Mat& m, const std::string& path, const CancelToken* cancel) {
  write_file_atomic(path, encode_png(m, cancel));
}

}  // namespace sumi
