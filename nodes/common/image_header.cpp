#include "nodes/common/image_header.h"

#include <cctype>
#include <cstring>

#include "engine/error.h"
#include "nodes/common/image_mat.h"

namespace sumi {
namespace {

std::uint32_t be16(const unsigned char* p) { return static_cast<std::uint32_t>(p[0]) << 8 | p[1]; }
std::uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
std::uint32_t le16(const unsigned char* p) { return static_cast<std::uint32_t>(p[1]) << 8 | p[0]; }
std::uint32_t le24(const unsigned char* p) { return le16(p) | static_cast<std::uint32_t>(p[2]) << 16; }
std::uint32_t le32(const unsigned char* p) { return le16(p) | le16(p + 2) << 16; }

bool starts(std::string_view b, const char* magic, std::size_t at = 0) {
  const std::size_t n = std::strlen(magic);
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// Walks the JPEG markers up to the first start-of-frame (SOF0..SOF15 but
// DHT C4, JPG C8 and DAC CC), which holds the height and width.
cv::Size jpeg_size(const unsigned char* p, std::size_t n, const ErrorContext& ctx) {
  std::size_t i = 2;
  while (true) {
    while (i < n && p[i] != 0xFF) ++i;  // OpenCV's libjpeg skips stray bytes too
    while (i < n && p[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) break;
    const unsigned char marker = p[i++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image, or scan data before any frame
    if (i + 2 > n) break;
    const std::uint32_t length = be16(p + i);
    if (length < 2) break;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (length < 7 || i + 7 > n) break;
      return {static_cast<int>(be16(p + i + 5)), static_cast<int>(be16(p + i + 3))};
    }
    i += length;
  }
  throw Error(ctx, "not a readable JPEG image: no frame header (truncated or corrupt)");
}

// The name of an image format Sumi does not read, from its magic bytes, so
// that the refusal says what the file is ("" when not recognised). TIFF, PNM
// and OpenEXR files were read through OpenCV before its codecs gave way to
// libpng and libjpeg.
std::string other_format_name(std::string_view b) {
  if (starts(b, "II*") || starts(b, "MM\0*") || starts(b, "II+") || starts(b, "MM\0+")) return "TIFF";
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' && std::isspace(static_cast<unsigned char>(b[2])))
    return "PNM (PBM/PGM/PPM/PAM)";
  if (starts(b, "PF") || starts(b, "Pf")) return "PFM";
  if (starts(b, "v/1\x01")) return "OpenEXR";
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return "GIF";
  if (starts(b, "#?RADIANCE") || starts(b, "#?RGBE")) return "Radiance HDR";
  if (starts(b, "\0\0\0\x0cjP  ") || starts(b, "\xFF\x4F\xFF\x51")) return "JPEG 2000";
  if (starts(b, "ftyp", 4)) return "HEIF/AVIF";
  if (starts(b, "8BPS")) return "Photoshop";
  if (starts(b, "\x59\xA6\x6A\x95")) return "Sun raster";
  if (starts(b, "%PDF")) return "PDF";
  if (starts(b, "<svg") || starts(b, "<?xml")) return "SVG/XML";
  return "";
}

}  // namespace

void check_image_size(std::uint64_t width, std::uint64_t height, const std::string& file) {
  const ErrorContext ctx{file, {}, {}, {}, {}};
  const std::string dims = std::to_string(width) + " x " + std::to_string(height) + " pixels";
  if (width == 0 || height == 0) throw Error(ctx, "the image is " + dims + " (empty)");
  if (width > static_cast<std::uint64_t>(kMaxImageSide) || height > static_cast<std::uint64_t>(kMaxImageSide))
    throw Error(ctx, "the image is " + dims + ", larger than " + std::to_string(kMaxImageSide) + " pixels a side");
  if (width * height > static_cast<std::uint64_t>(kMaxImagePixels))
    throw Error(ctx, "the image is " + dims + ", more than the " + std::to_string(kMaxImagePixels) +
                         " pixels (8192 x 8192) Sumi reads");
}

cv::Size image_header_size(std::string_view bytes, const std::string& file) {
  const ErrorContext ctx{file, {}, {}, {}, {}};
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  if (starts(bytes, "\x89PNG\r\n\x1a\n")) {
    if (n < 24 || !starts(bytes, "IHDR", 12)) throw Error(ctx, "not a readable PNG image: no IHDR header");
    return {static_cast<int>(std::min<std::uint32_t>(be32(p + 16), INT32_MAX)),
            static_cast<int>(std::min<std::uint32_t>(be32(p + 20), INT32_MAX))};
  }
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return jpeg_size(p, n, ctx);
  if (starts(bytes, "BM")) {
    if (n < 26) throw Error(ctx, "not a readable BMP image: the header is truncated");
    const std::uint32_t header = le32(p + 14);
    if (header == 12) return {static_cast<int>(le16(p + 18)), static_cast<int>(le16(p + 20))};
    if (header < 40) throw Error(ctx, "not a readable BMP image: unknown header size " + std::to_string(header));
    const auto w = static_cast<std::int32_t>(le32(p + 18)), h = static_cast<std::int32_t>(le32(p + 22));
    // A negative height means rows stored top-down; INT32_MIN has no positive twin.
    if (w <= 0 || h == 0 || h == INT32_MIN) throw Error(ctx, "not a readable BMP image: bad size");
    return {w, h < 0 ? -h : h};
  }
  if (starts(bytes, "RIFF") && starts(bytes, "WEBP", 8)) {
    if (starts(bytes, "VP8 ", 12) && n >= 30) return {static_cast<int>(le16(p + 26) & 0x3FFF), static_cast<int>(le16(p + 28) & 0x3FFF)};
    if (starts(bytes, "VP8L", 12) && n >= 25) {
      const std::uint32_t bits = le32(p + 21);
      return {static_cast<int>((bits & 0x3FFF) + 1), static_cast<int>(((bits >> 14) & 0x3FFF) + 1)};
    }
    if (starts(bytes, "VP8X", 12) && n >= 30) return {static_cast<int>(le24(p + 24) + 1), static_cast<int>(le24(p + 27) + 1)};
    throw Error(ctx, "not a readable WebP image: the header is truncated or unknown");
  }
  const std::string known = other_format_name(bytes);
  throw Error(ctx, "not a readable image: " + (known.empty() ? std::string("the format is unknown") : "a " + known + " image") +
                       "; Sumi reads only PNG, JPEG, BMP or WebP images (convert it to PNG)");
}

}  // namespace sumi
