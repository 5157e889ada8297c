// Issue 21: image sizes checked from headers before decoding or allocating,
// libpng's messages captured into Sumi's
// errors, and Ctrl-C stopping `sumi run` inside a long node.
#include <fcntl.h>
#include <png.h>
#include <cstdio>
#include <jpeglib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/atomic_file.h"
#include "nodes/common/image_header.h"
#include "nodes/common/jpeg.h"
#include "nodes/common/png.h"
#include "nodes/io/load_image.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string bytes_of(const std::vector<unsigned char>& v) { return std::string(v.begin(), v.end()); }

// A PNG written by libpng with any colour type, bit depth, palette,
// transparency and interlacing (cv::imencode writes only a few of these).
struct PngSpec {
  int width = 37, height = 23, color_type = PNG_COLOR_TYPE_RGB, bit_depth = 8;
  bool interlace = false, trns = false;
};

void append_bytes(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}

std::string make_png(const PngSpec& s) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, append_bytes, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(s.width), static_cast<png_uint_32>(s.height), s.bit_depth, s.color_type,
               s.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette(16);
  std::vector<png_byte> alphas(16);
  for (int i = 0; i < 16; ++i) {
    palette[static_cast<std::size_t>(i)] = {static_cast<png_byte>(i * 16), static_cast<png_byte>(255 - i * 9), static_cast<png_byte>(i * 5)};
    alphas[static_cast<std::size_t>(i)] = static_cast<png_byte>(i * 17);
  }
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, palette.data(), 16);
  if (s.trns) {
    png_color_16 key{};
    key.red = key.green = key.blue = key.gray = 3;
    if (s.color_type == PNG_COLOR_TYPE_PALETTE) png_set_tRNS(png, info, alphas.data(), 16, nullptr);
    else png_set_tRNS(png, info, nullptr, 0, &key);
  }
  png_write_info(png, info);
  const int channels = s.color_type == PNG_COLOR_TYPE_RGB ? 3 : s.color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                       : s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  const std::size_t row_bytes = (static_cast<std::size_t>(s.width) * channels * s.bit_depth + 7) / 8;
  std::vector<std::vector<png_byte>> rows(static_cast<std::size_t>(s.height), std::vector<png_byte>(row_bytes));
  for (int y = 0; y < s.height; ++y)
    for (std::size_t i = 0; i < row_bytes; ++i) {
      png_byte v = static_cast<png_byte>((y * 31 + static_cast<int>(i) * 7) ^ (y * static_cast<int>(i)));
      if (s.color_type == PNG_COLOR_TYPE_PALETTE && s.bit_depth == 8) v &= 15;  // 16 palette entries
      rows[static_cast<std::size_t>(y)][i] = v;
    }
  std::vector<png_bytep> ptrs;
  for (auto& r : rows) ptrs.push_back(r.data());
  png_write_image(png, ptrs.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

cv::Mat opencv_decode(const std::string& bytes) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                      cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
}

void expect_same(const cv::Mat& got, const cv::Mat& expected) {
  ASSERT_EQ(got.size(), expected.size());
  ASSERT_EQ(got.type(), expected.type());
  for (int y = 0; y < got.rows; ++y)
    ASSERT_EQ(std::memcmp(got.ptr(y), expected.ptr(y), got.cols * got.elemSize()), 0) << "row " << y;
}

TEST(PngCodec, DecodesEveryKindOfPngAsOpenCvDid) {
  std::vector<PngSpec> specs;
  for (int depth : {1, 2, 4, 8, 16}) specs.push_back({37, 23, PNG_COLOR_TYPE_GRAY, depth});
  for (int depth : {8, 16}) {
    specs.push_back({37, 23, PNG_COLOR_TYPE_RGB, depth});
    specs.push_back({37, 23, PNG_COLOR_TYPE_RGB_ALPHA, depth});
    specs.push_back({37, 23, PNG_COLOR_TYPE_GRAY_ALPHA, depth});
    specs.push_back({37, 23, PNG_COLOR_TYPE_RGB, depth, false, true});   // tRNS colour key
    specs.push_back({37, 23, PNG_COLOR_TYPE_GRAY, depth, false, true});  // tRNS gray key
  }
  for (int depth : {4, 8}) {
    specs.push_back({37, 23, PNG_COLOR_TYPE_PALETTE, depth});
    specs.push_back({37, 23, PNG_COLOR_TYPE_PALETTE, depth, false, true});
  }
  specs.push_back({61, 45, PNG_COLOR_TYPE_RGB_ALPHA, 8, true});  // interlaced
  specs.push_back({61, 45, PNG_COLOR_TYPE_GRAY, 16, true});
  specs.push_back({1, 1, PNG_COLOR_TYPE_GRAY, 8});
  for (const PngSpec& s : specs) {
    SCOPED_TRACE(::testing::Message() << "colour type " << s.color_type << ", " << s.bit_depth << " bits"
                                      << (s.trns ? ", tRNS" : "") << (s.interlace ? ", interlaced" : ""));
    const std::string bytes = make_png(s);
    expect_same(decode_png(bytes, "x.png"), opencv_decode(bytes));
  }
}

TEST(PngCodec, EncodesTheBytesOpenCvWrote) {
  cv::RNG rng(5);
  for (int c : {1, 3, 4}) {
    cv::Mat m(67, 129, CV_32FC(c));
    rng.fill(m, cv::RNG::UNIFORM, -0.2, 1.2);  // out of range values saturate
    // What encode_png did before: 8 bits, BGR order, cv::imencode.
    cv::Mat u8, bgr;
    m.convertTo(u8, CV_8U, 255.0);
    if (c == 3) cv::cvtColor(u8, bgr, cv::COLOR_RGB2BGR);
    else if (c == 4) cv::cvtColor(u8, bgr, cv::COLOR_RGBA2BGRA);
    else bgr = u8;
    std::vector<unsigned char> expected;
    ASSERT_TRUE(cv::imencode(".png", bgr, expected));
    EXPECT_EQ(encode_png(m), bytes_of(expected)) << c << " channels";
  }
}

TEST(PngCodec, CorruptOrTruncatedPngsNameTheFileAndLibpngsReason) {
  cv::Mat m(40, 50, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<unsigned char> good;
  ASSERT_TRUE(cv::imencode(".png", m, good));
  const std::string bytes = bytes_of(good);
  EXPECT_SUMI_ERROR(decode_png(bytes.substr(0, bytes.size() / 2), "half.png"), "half.png", "not a readable PNG image",
                    "truncated");
  std::string bad_crc = bytes;
  bad_crc[29] = static_cast<char>(bad_crc[29] ^ 0x55);  // inside IHDR: its CRC no longer matches
  EXPECT_SUMI_ERROR(decode_png(bad_crc, "crc.png"), "crc.png", "not a readable PNG image");
  EXPECT_SUMI_ERROR(decode_png(bytes.substr(0, 20), "short.png"), "short.png", "IHDR");
}

// A CMYK JPEG (cv::imencode writes gray and BGR only).
std::string make_cmyk_jpeg(int width, int height) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width) * 4);
  for (int y = 0; y < height; ++y) {
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<unsigned char>((y * 13 + static_cast<int>(i) * 5) & 0xFF);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  std::string out(reinterpret_cast<const char*>(buf), size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}

TEST(JpegCodec, DecodesAsOpenCvDidAndCapturesLibjpegsMessages) {
  cv::Mat color(83, 121, CV_8UC3), gray;
  cv::RNG(9).fill(color, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(color, color, cv::Size(0, 0), 2);
  cv::cvtColor(color, gray, cv::COLOR_BGR2GRAY);
  std::vector<std::string> files;
  for (const cv::Mat& m : {color, gray})
    for (const std::vector<int>& params : std::vector<std::vector<int>>{
             {}, {cv::IMWRITE_JPEG_QUALITY, 40}, {cv::IMWRITE_JPEG_PROGRESSIVE, 1},
             {cv::IMWRITE_JPEG_RST_INTERVAL, 5}, {cv::IMWRITE_JPEG_OPTIMIZE, 1}}) {
      std::vector<unsigned char> enc;
      ASSERT_TRUE(cv::imencode(".jpg", m, enc, params));
      files.push_back(bytes_of(enc));
    }
  files.push_back(make_cmyk_jpeg(45, 31));
  std::string damaged = files[0];
  for (std::size_t i = damaged.size() / 2; i < damaged.size() / 2 + 200; i += 7) damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
  files.push_back(damaged);  // "Corrupt JPEG data" warnings: decoded anyway, as before
  for (std::size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "file " << i);
    expect_same(decode_jpeg(files[i], "x.jpg"), opencv_decode(files[i]));
  }
  std::string bad_header = files[0];
  bad_header[bad_header.find("\xFF\xC0", 2) + 9] = 7;  // 7 components
  EXPECT_SUMI_ERROR(decode_jpeg(bad_header, "bad.jpg"), "bad.jpg", "not a readable JPEG image");
}

// Just a header: the size is refused before anything is decoded or allocated.
std::string png_header(std::uint32_t w, std::uint32_t h) {
  std::string b = "\x89PNG\r\n\x1a\n";
  b += std::string("\0\0\0\x0dIHDR", 8);
  for (std::uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((v >> s) & 0xFF);
  b += std::string("\x08\x02\0\0\0", 5);
  b += std::string(4, '\0');  // CRC (never reached)
  return b;
}

std::string jpeg_header(std::uint16_t w, std::uint16_t h) {
  std::string b("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
  b += std::string("\xFF\xC0\x00\x11\x08", 5);
  b += static_cast<char>(h >> 8);
  b += static_cast<char>(h & 0xFF);
  b += static_cast<char>(w >> 8);
  b += static_cast<char>(w & 0xFF);
  b += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  return b;
}

TEST(ImageLimits, SizesAreCheckedFromTheHeaderBeforeDecoding) {
  TempDir tmp;
  auto load = [&](const std::string& name, const std::string& bytes) {
    write_text(tmp.path(name), bytes);
    return read_image_file(tmp.path(name), "rgb");
  };
  EXPECT_SUMI_ERROR(load("wide.png", png_header(100000, 10)), "wide.png", "100000 x 10 pixels", "16384 pixels a side");
  EXPECT_SUMI_ERROR(load("many.png", png_header(10000, 10000)), "many.png", "10000 x 10000", "67108864 pixels");
  EXPECT_SUMI_ERROR(load("zero.png", png_header(0, 5)), "zero.png", "empty");
  EXPECT_SUMI_ERROR(load("big.jpg", jpeg_header(60000, 60000)), "big.jpg", "60000 x 60000", "16384 pixels a side");
  EXPECT_SUMI_ERROR(load("many.jpg", jpeg_header(16000, 16000)), "many.jpg", "67108864 pixels");
  EXPECT_SUMI_ERROR(load("cut.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10)), "cut.jpg", "no frame header");
  EXPECT_SUMI_ERROR(load("anim.gif", "GIF89a\x10\x00\x10\x00"), "anim.gif", "a GIF image",
                    "reads only PNG, JPEG, BMP or WebP");
  std::string bmp = "BM" + std::string(12, '\0');
  bmp += std::string("\x28\0\0\0", 4);                           // BITMAPINFOHEADER
  bmp += std::string("\x00\x00\x01\x00\x00\x00\x01\x00", 8);     // 65536 x 65536
  EXPECT_SUMI_ERROR(load("huge.bmp", bmp), "huge.bmp", "65536 x 65536");
  // The header sizes of real files are those their decoders find.
  cv::Mat m(300, 500, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp"}) {
    std::vector<unsigned char> enc;
    ASSERT_TRUE(cv::imencode(ext, m, enc)) << ext;
    EXPECT_EQ(image_header_size(bytes_of(enc), ext), cv::Size(500, 300)) << ext;
    write_text(tmp.path(std::string("ok") + ext), bytes_of(enc));
    EXPECT_EQ(read_image_file(tmp.path(std::string("ok") + ext), "rgb").size(), cv::Size(500, 300)) << ext;
  }
}

const std::string kLoadGraph = R"({"format": "sumi.graph", "version": 1, "name": "load",
  "nodes": {"img": {"type": "io.load_image"}}, "outputs": {"image": "img.image"}})";

TEST(CliStderr, ACorruptPngOrJpegGivesOnlySumisErrorNamingTheFile) {
  TempDir tmp;
  write_text(tmp.path("load.sumi.json"), kLoadGraph);
  cv::Mat m(64, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<unsigned char> enc;
  ASSERT_TRUE(cv::imencode(".png", m, enc));
  const std::string bytes = bytes_of(enc);
  std::string bad_crc = bytes;
  bad_crc[40] = static_cast<char>(bad_crc[40] ^ 0x55);  // inside the image data
  cv::Mat noise(200, 300, CV_8UC3);
  cv::RNG(4).fill(noise, cv::RNG::UNIFORM, 0, 256);
  std::vector<unsigned char> jpg;
  ASSERT_TRUE(cv::imencode(".jpg", noise, jpg));
  std::string bad_jpeg = bytes_of(jpg);
  bad_jpeg[bad_jpeg.find("\xFF\xC0", 2) + 9] = 7;  // 7 colour components: libjpeg refuses it
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"truncated.png", bytes.substr(0, bytes.size() - 30)}, {"crc.png", bad_crc}, {"bad.jpg", bad_jpeg}}) {
    SCOPED_TRACE(name);
    write_text(tmp.path(name), content);
    const CliResult r =
        run_cli(SUMI_CLI, "run " + tmp.path("load.sumi.json") + " --in img=" + tmp.path(name) + " --out " + tmp.path("out"));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_EQ(r.out.find("libpng"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(tmp.path(name)), std::string::npos) << r.out;
    // Exactly one line, Sumi's.
    EXPECT_EQ(r.out.rfind("sumi: error: ", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  // A damaged JPEG still decodes (libjpeg warns and goes on, as before), but
  // its warnings no longer reach stderr.
  std::string damaged = bytes_of(jpg);
  for (std::size_t i = damaged.size() / 2; i < damaged.size() / 2 + 100; i += 7) damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
  write_text(tmp.path("damaged.jpg"), damaged);
  const CliResult r =
      run_cli(SUMI_CLI, "run " + tmp.path("load.sumi.json") + " --in img=" + tmp.path("damaged.jpg") + " --out " + tmp.path("out"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("Corrupt JPEG"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.rfind("wrote ", 0), 0u) << r.out;
}

TEST(CliSigint, CtrlCStopsARunInsideALongNodeWithinASecond) {
  TempDir tmp;
  write_text(tmp.path("huge.sumi.json"), R"({"format": "sumi.graph", "version": 1, "name": "huge",
    "nodes": {"draw": {"type": "io.strokes_input"},
              "sketch": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokes"}, "params": {"size": 16384}}},
    "outputs": {"image": "sketch.image"}})");
  std::string pts;
  for (int i = 0; i < 2000; ++i) pts += (i ? "," : "") + std::string("[") + std::to_string(100 + i % 300) + "," + std::to_string(200 + i % 97) + "]";
  write_text(tmp.path("wide.strokes.json"),
             R"({"format":"sumi.strokes","version":1,"canvas":[512,512],"strokes":[{"width":1000,"points":[)" + pts + "]}]}");
  int err[2];
  ASSERT_EQ(::pipe(err), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(err[1], STDERR_FILENO);
    ::dup2(err[1], STDOUT_FILENO);
    ::close(err[0]);
    ::execl(SUMI_CLI, SUMI_CLI, "run", tmp.path("huge.sumi.json").c_str(), "--in",
            ("draw=" + tmp.path("wide.strokes.json")).c_str(), "--out", tmp.path("out").c_str(), "-v",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(err[1]);
  // Wait until the rasteriser has started (the verbose log says so), then a little longer.
  std::string log;
  char buf[4096];
  while (log.find("sketch (sketch.rasterise) started") == std::string::npos) {
    const ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n <= 0) break;
    log.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_NE(log.find("sketch (sketch.rasterise) started"), std::string::npos) << log;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = Clock::now();
  ::kill(pid, SIGINT);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() - t0 > std::chrono::seconds(20)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL() << "sumi run did not stop within 20 s of SIGINT";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ssize_t n;
  while ((n = ::read(err[0], buf, sizeof buf)) > 0) log.append(buf, static_cast<std::size_t>(n));
  ::close(err[0]);
  EXPECT_LT(seconds, 1.0);
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 130) << log;
  EXPECT_NE(log.find("sumi: error: cancelled"), std::string::npos) << log;
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path("out"), ec)) << "no output file, not even a partial one";
}

}  // namespace
}  // namespace sumi::test
