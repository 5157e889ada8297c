// The bad-input catalogue (issue 21, item 4): the reference list of hostile or
// broken inputs Sumi must refuse cleanly. Each row is one case: what is fed,
// the exit code (CLI) or HTTP status (editor server) expected, and the parts
// of the message that name the file, node, parameter or port. Every CLI case
// runs the real `sumi` binary as a subprocess and also checks that it did not
// die of a signal and that the files already in --out are untouched (same
// bytes, same mtime, nothing added). Every HTTP case goes to one in-process
// editor server, which must still answer afterwards, and leaves the files in
// and around its folders untouched. docs/hardening.md lists the catalogue.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/editor_test_server.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// ---------------------------------------------------------------- helpers

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::string png_bytes(int w, int h) {
  std::vector<unsigned char> enc;
  cv::imencode(".png", cv::Mat(h, w, CV_8UC3, cv::Scalar(40, 90, 200)), enc);
  return {enc.begin(), enc.end()};
}

// A PNG signature and IHDR claiming `w` x `h` pixels, and nothing after it.
std::string png_header(std::uint32_t w, std::uint32_t h) {
  std::string s("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (std::uint32_t v : {w, h})
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
  s += std::string("\x08\x02\0\0\0", 5);
  return s + std::string(4, '\0');  // CRC (not checked before the size)
}

// A JPEG start-of-image and baseline frame header claiming `w` x `h` pixels.
std::string jpeg_header(int w, int h) {
  std::string s("\xFF\xD8\xFF\xC0\x00\x11\x08", 7);
  s += static_cast<char>(h >> 8);
  s += static_cast<char>(h & 0xFF);
  s += static_cast<char>(w >> 8);
  s += static_cast<char>(w & 0xFF);
  return s + std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
}

std::string nested(int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); }

// A .npy v1 header for float32 data of `shape`, padded to 64 bytes.
std::string npy_header(const std::string& shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  dict += std::string((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + "\n";  // header a multiple of 64
  std::string s("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(dict.size() & 0xFF);
  s += static_cast<char>(dict.size() >> 8);
  return s + dict;
}

// ---------------------------------------------------------------- CLI cases

// Special file contents: a FIFO, a folder, or a copy of a source file.
const std::string kFifo = "<fifo>";
const std::string kFolder = "<folder>";

struct CliCase {
  std::string name;
  std::vector<std::pair<std::string, std::string>> files;  // written into the case's folder first
  std::string args;     // {dir}: the case's folder, {src}: the source tree, {out}: its output folder
  int code;             // the exit status expected
  std::vector<std::string> message;  // each must appear in the output ({dir}, {src} replaced)
  std::function<void(const fs::path&)> setup = {};  // more preparation, after `files`
};

const std::string kGraphHead = R"({"format": "sumi.graph", "version": 1, "name": "case", )";

// draw (io.strokes_input) -> sketch (sketch.rasterise, 64 px) -> output "sketch".
std::string sketch_graph(const std::string& sketch_params = R"({"size": 64})", const std::string& outputs = R"({"sketch": "sketch.image"})") {
  return kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"},
    "sketch": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokes"}, "params": )" +
         sketch_params + R"(}}, "outputs": )" + outputs + "}";
}
// img (io.load_image) -> output "image".
const std::string kLoadGraph =
    kGraphHead + R"("nodes": {"img": {"type": "io.load_image"}}, "outputs": {"image": "img.image"}})";
const std::string kStrokes =
    R"({"format": "sumi.strokes", "version": 1, "canvas": [64, 64], "strokes": [{"kind": "line", "width": 2, "color": "#000000", "points": [[5, 5], [50, 40]]}]})";
std::string strokes_with(const std::string& canvas, const std::string& stroke) {
  return R"({"format": "sumi.strokes", "version": 1, "canvas": )" + canvas + R"(, "strokes": [)" + stroke + "]}";
}

// A graph file run with good strokes: `sumi run {dir}/g.sumi.json --in draw=... --out {out}`.
CliCase graph_case(std::string name, std::string graph, int code, std::vector<std::string> message) {
  return {std::move(name), {{"g.sumi.json", std::move(graph)}, {"s.strokes.json", kStrokes}},
          "run {dir}/g.sumi.json --in draw={dir}/s.strokes.json --out {out}", code, std::move(message)};
}
// A strokes file fed to the sketch graph.
CliCase strokes_case(std::string name, std::string strokes, std::vector<std::string> message) {
  return {std::move(name), {{"g.sumi.json", sketch_graph()}, {"s.strokes.json", std::move(strokes)}},
          "run {dir}/g.sumi.json --in draw={dir}/s.strokes.json --out {out}", 1, std::move(message)};
}
// An image file fed to io.load_image.
CliCase image_case(std::string name, std::string file, std::string bytes, std::vector<std::string> message) {
  std::string args = "run {dir}/g.sumi.json --in img={dir}/" + file + " --out {out}";
  return {std::move(name), {{"g.sumi.json", kLoadGraph}, {std::move(file), std::move(bytes)}}, std::move(args), 1,
          std::move(message)};
}

std::vector<CliCase> graph_file_cases() {
  return {
      {"missing_file", {}, "run {dir}/none.sumi.json --out {out}", 1, {"{dir}/none.sumi.json", "file not found"}},
      {"empty_file", {{"g.sumi.json", ""}}, "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json"}},
      {"a_folder", {{"g.sumi.json", kFolder}}, "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "is a folder"}},
      {"a_fifo", {{"g.sumi.json", kFifo}}, "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "not a regular file"}},
      {"dev_zero", {}, "run /dev/zero --out {out}", 1, {"/dev/zero", "not a regular file"}},
      {"malformed_json", {{"g.sumi.json", "{\"format\": \"sumi.graph\",\n \"version\": 1,\n \"nodes\": {]}"}},
       "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "malformed JSON at line 3"}},
      {"nested_100000_deep", {{"g.sumi.json", "{\"nodes\": " + nested(100000) + "}"}}, "run {dir}/g.sumi.json --out {out}", 1,
       {"{dir}/g.sumi.json", "nested deeper than 256"}},
      {"invalid_utf8", {{"g.sumi.json", kGraphHead + "\"nodes\": {\"caf\xE9\": {\"type\": \"io.load_image\"}}}"}},
       "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "invalid UTF-8"}},
      {"top_level_array", {{"g.sumi.json", "[1, 2]"}}, "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json"}},
      {"wrong_format", {{"g.sumi.json", R"({"format": "sumi.strokes", "version": 1, "nodes": {}})"}},
       "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "format"}},
      {"negative_version", {{"g.sumi.json", R"({"format": "sumi.graph", "version": -1, "nodes": {}})"}},
       "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "version"}},
      {"future_version", {{"g.sumi.json", R"({"format": "sumi.graph", "version": 99, "nodes": {}})"}},
       "run {dir}/g.sumi.json --out {out}", 1, {"{dir}/g.sumi.json", "version"}},
      {"nodes_not_an_object", {{"g.sumi.json", kGraphHead + R"("nodes": [1]})"}}, "run {dir}/g.sumi.json --out {out}", 1,
       {"{dir}/g.sumi.json", "nodes"}},
      graph_case("number_overflow_1e400", sketch_graph(R"({"size": 1e400})"), 1, {"{dir}/g.sumi.json", "number overflow"}),
      graph_case("number_overflow_minus_1e400", sketch_graph(R"({"size": 64, "jitter": -1e400})"), 1,
                 {"{dir}/g.sumi.json", "number overflow"}),
      graph_case("integer_wraps", sketch_graph(R"({"size": 18446744073709551615})"), 1, {"{dir}/g.sumi.json", "sketch", "size"}),
      graph_case("param_wrong_type", sketch_graph(R"({"size": "big"})"), 1, {"{dir}/g.sumi.json", "node 'sketch'", "size"}),
      graph_case("param_above_maximum", sketch_graph(R"({"size": 99999})"), 1, {"node 'sketch'", "param 'size'", "above the maximum"}),
      graph_case("canvas_2_pow_32_pixels", sketch_graph(R"({"size": 65536})"), 1, {"node 'sketch'", "param 'size'"}),
      graph_case("unknown_param", sketch_graph(R"({"sise": 64})"), 1, {"node 'sketch'", "sise", "did you mean 'size'?"}),
      graph_case("unknown_node_type",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"}, "x": {"type": "sketch.rasterize"}}, "outputs": {"x": "x.image"}})", 1,
                 {"node 'x'", "sketch.rasterize", "did you mean 'sketch.rasterise'?"}),
      graph_case("empty_node_id", kGraphHead + R"("nodes": {"": {"type": "io.strokes_input"}}, "outputs": {}})", 1,
                 {"{dir}/g.sumi.json", "node id"}),
      graph_case("link_to_missing_node",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"}, "sketch": {"type": "sketch.rasterise", "in": {"strokes": "nobody.strokes"}}},
                 "outputs": {"sketch": "sketch.image"}})",
                 1, {"node 'sketch'", "nobody"}),
      graph_case("link_to_unknown_port",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"},
                 "sketch": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokez"}}}, "outputs": {"sketch": "sketch.image"}})",
                 1, {"node 'sketch'", "strokez"}),
      graph_case("unknown_input_port",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"},
                 "sketch": {"type": "sketch.rasterise", "in": {"stroke": "draw.strokes"}}}, "outputs": {"sketch": "sketch.image"}})",
                 1, {"node 'sketch'", "stroke"}),
      graph_case("port_type_mismatch",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"},
                 "sketch": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokes"}},
                 "again": {"type": "sketch.rasterise", "in": {"strokes": "sketch.image"}}}, "outputs": {"x": "again.image"}})",
                 1, {"node 'again'", "strokes"}),
      graph_case("cycle",
                 kGraphHead + R"("nodes": {"draw": {"type": "io.strokes_input"}, "a": {"type": "image.invert", "in": {"image": "b.image"}},
                 "b": {"type": "image.invert", "in": {"image": "a.image"}}}, "outputs": {"x": "a.image"}})",
                 1, {"cycle"}),
      graph_case("output_name_dot_dot", sketch_graph(R"({"size": 64})", R"({"../escape": "sketch.image"})"), 1,
                 {"{dir}/g.sumi.json", "../escape"}),
      graph_case("output_name_absolute", sketch_graph(R"({"size": 64})", R"({"/tmp/sumi_abs": "sketch.image"})"), 1,
                 {"{dir}/g.sumi.json", "/tmp/sumi_abs"}),
      graph_case("output_name_empty", sketch_graph(R"({"size": 64})", R"({"": "sketch.image"})"), 1, {"{dir}/g.sumi.json", "output"}),
      graph_case("output_of_unknown_port", sketch_graph(R"({"size": 64})", R"({"sketch": "sketch.picture"})"), 1,
                 {"sketch.picture"}),
  };
}

std::vector<CliCase> strokes_cases() {
  return {
      {"missing_file", {{"g.sumi.json", sketch_graph()}}, "run {dir}/g.sumi.json --in draw={dir}/none.json --out {out}", 1,
       {"{dir}/none.json", "file not found"}},
      {"a_fifo", {{"g.sumi.json", sketch_graph()}, {"s.strokes.json", kFifo}},
       "run {dir}/g.sumi.json --in draw={dir}/s.strokes.json --out {out}", 1, {"{dir}/s.strokes.json", "not a regular file"}},
      {"dev_zero", {{"g.sumi.json", sketch_graph()}}, "run {dir}/g.sumi.json --in draw=/dev/zero --out {out}", 1,
       {"/dev/zero", "not a regular file"}},
      strokes_case("malformed_json", "{\"format\": \"sumi.strokes\",", {"{dir}/s.strokes.json", "malformed JSON"}),
      strokes_case("nested_100000_deep", nested(100000), {"{dir}/s.strokes.json", "nested deeper than 256"}),
      strokes_case("invalid_utf8", strokes_with("[64, 64]", "{\"kind\": \"li\xFFne\", \"points\": [[1, 1]]}"),
                   {"{dir}/s.strokes.json", "invalid UTF-8"}),
      strokes_case("wrong_format", R"({"format": "sumi.graph", "version": 1, "canvas": [64, 64], "strokes": []})",
                   {"{dir}/s.strokes.json", "format"}),
      strokes_case("unknown_kind", strokes_with("[64, 64]", R"({"kind": "spray", "points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "stroke 0", "unknown kind \"spray\" (line, hint or erase)"}),
      strokes_case("kind_not_a_string", strokes_with("[64, 64]", R"({"kind": 3, "points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "stroke 0", "kind"}),
      strokes_case("point_with_one_number", strokes_with("[64, 64]", R"({"points": [[1]]})"),
                   {"{dir}/s.strokes.json", "stroke 0, point 0"}),
      strokes_case("point_not_a_number", strokes_with("[64, 64]", R"({"points": [[1, 1], ["a", 2]]})"),
                   {"{dir}/s.strokes.json", "stroke 0, point 1"}),
      strokes_case("point_overflows_1e400", strokes_with("[64, 64]", R"({"points": [[1e400, 1]]})"),
                   {"{dir}/s.strokes.json"}),
      strokes_case("bad_colour", strokes_with("[64, 64]", R"({"color": "#zzzzzz", "points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "stroke 0", "#zzzzzz"}),
      strokes_case("negative_width", strokes_with("[64, 64]", R"({"width": -3, "points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "stroke 0", "width"}),
      strokes_case("canvas_too_large", strokes_with("[100000, 10]", R"({"points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "canvas", "8192"}),
      strokes_case("canvas_wraps_2_pow_32", strokes_with("[4294967297, 8]", R"({"points": [[1, 1]]})"),
                   {"{dir}/s.strokes.json", "canvas"}),
      strokes_case("canvas_empty", strokes_with("[0, 64]", R"({"points": [[1, 1]]})"), {"{dir}/s.strokes.json", "canvas"}),
  };
}

std::vector<CliCase> image_cases() {
  const std::string png = png_bytes(16, 12);
  std::string bad_crc = png;
  bad_crc[40] = static_cast<char>(bad_crc[40] ^ 0x55);
  const std::string kFormats = "PNG, JPEG, BMP or WebP";
  return {
      image_case("tiff_little_endian", "scan.tif", std::string("II*\0\x08\0\0\0", 8) + std::string(64, '\0'),
                 {"{dir}/scan.tif", "TIFF", kFormats}),
      image_case("tiff_big_endian", "scan.tiff", std::string("MM\0*\0\0\0\x08", 8) + std::string(64, '\0'),
                 {"{dir}/scan.tiff", "TIFF", kFormats}),
      image_case("pnm_ppm", "photo.ppm", "P6\n4 4\n255\n" + std::string(48, '\x7f'), {"{dir}/photo.ppm", "PNM", kFormats}),
      image_case("pnm_pgm", "photo.pgm", "P5\n4 4\n255\n" + std::string(16, '\x7f'), {"{dir}/photo.pgm", "PNM", kFormats}),
      image_case("openexr", "light.exr", std::string("v/1\x01\x02\0\0\0", 8) + std::string(64, '\0'),
                 {"{dir}/light.exr", "OpenEXR", kFormats}),
      image_case("gif", "anim.gif", "GIF89a\x10\x00\x10\x00", {"{dir}/anim.gif", "GIF", kFormats}),
      image_case("text_named_png", "notes.png", "just some text, not an image\n", {"{dir}/notes.png", kFormats}),
      image_case("empty_file", "empty.png", "", {"{dir}/empty.png", "empty"}),
      image_case("png_header_100000_wide", "wide.png", png_header(100000, 10),
                 {"{dir}/wide.png", "100000 x 10 pixels", "16384 pixels a side"}),
      image_case("png_header_10000_square", "many.png", png_header(10000, 10000), {"{dir}/many.png", "67108864 pixels"}),
      image_case("png_header_zero_size", "zero.png", png_header(0, 5), {"{dir}/zero.png", "empty"}),
      image_case("png_truncated", "cut.png", png.substr(0, png.size() - 30), {"{dir}/cut.png", "truncated"}),
      image_case("png_bad_crc", "crc.png", bad_crc, {"{dir}/crc.png", "not a readable PNG"}),
      image_case("jpeg_header_60000_square", "big.jpg", jpeg_header(60000, 60000), {"{dir}/big.jpg", "60000 x 60000"}),
      image_case("jpeg_no_frame", "cut.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10), {"{dir}/cut.jpg", "no frame header"}),
      image_case("bmp_header_65536_square", "huge.bmp",
                 "BM" + std::string(12, '\0') + std::string("\x28\0\0\0", 4) + std::string("\x00\x00\x01\x00\x00\x00\x01\x00", 8),
                 {"{dir}/huge.bmp", "65536 x 65536"}),
      image_case("a_fifo", "pipe.png", kFifo, {"{dir}/pipe.png", "not a regular file"}),
      image_case("a_folder", "dir.png", kFolder, {"{dir}/dir.png", "a folder or pattern"}),
      {"dev_zero", {{"g.sumi.json", kLoadGraph}}, "run {dir}/g.sumi.json --in img=/dev/zero --out {out}", 1,
       {"/dev/zero", "not a regular file"}},
  };
}

// A copy of the left-eye part model of models/parts (manifest, encoder,
// decoder, bank) in the case's folder, with the file `damage` replaced by
// `bytes` (its manifest digest then no longer matches).
std::function<void(const fs::path&)> part_model_copy(const std::string& damage = {}, const std::string& bytes = {}) {
  return [=](const fs::path& dir) {
    for (const char* f : {"manifest.json", "left_eye_encoder.pt", "left_eye_decoder.pt", "left_eye_bank.npy"})
      fs::copy_file(source_path(std::string("models/parts/") + f), dir / f);
    if (!damage.empty()) write_text((dir / damage).string(), bytes);
  };
}

// load (io.load_image, 64 x 64) -> enc (latent.encode) -> proj (latent.project) -> dec (latent.decode) -> "part".
std::string part_graph(const std::string& enc_params, const std::string& proj_params, const std::string& dec_params = "{}") {
  return kGraphHead + R"("nodes": {"load": {"type": "io.load_image", "params": {"path": "eye.png", "channels": "gray"}},
    "enc": {"type": "latent.encode", "in": {"image": "load.image"}, "params": )" + enc_params + R"(},
    "proj": {"type": "latent.project", "in": {"latent": "enc.latent"}, "params": )" + proj_params + R"(},
    "dec": {"type": "latent.decode", "in": {"latent": "proj.latent"}, "params": )" + dec_params + R"(}},
    "outputs": {"part": "dec.image"}})";
}
const std::string kPart = R"({"part": "left_eye", "manifest": "manifest.json"})";
std::string part_with(const std::string& extra) {
  return R"({"part": "left_eye", "manifest": "manifest.json", )" + extra + "}";
}

CliCase model_case(std::string name, std::string graph, std::function<void(const fs::path&)> setup,
                   std::vector<std::string> message, std::vector<std::pair<std::string, std::string>> files = {}) {
  files.emplace_back("g.sumi.json", std::move(graph));
  files.emplace_back("eye.png", png_bytes(64, 64));
  return {std::move(name), std::move(files), "run {dir}/g.sumi.json --out {out}", 1, std::move(message), std::move(setup)};
}

std::vector<CliCase> model_cases() {
  std::string truncated_bank = npy_header("(1000, 512)") + std::string(4096, '\0');
  std::string huge_bank = npy_header("(1099511627776, 512)") + std::string(4096, '\0');
  std::string bad_bank_header = std::string("\x93NUMPY\x01\x00\x10\x00{'descr': <f4  ", 26);
  return {
      model_case("manifest_sha256_mismatch_bank", part_graph(kPart, kPart, kPart),
                 part_model_copy("left_eye_bank.npy", npy_header("(2, 512)") + std::string(4096, '\0')),
                 {"left_eye_bank.npy", "node 'proj'", "SHA-256", "manifest.json", "changed or damaged"}),
      model_case("manifest_sha256_mismatch_encoder", part_graph(kPart, kPart, kPart),
                 part_model_copy("left_eye_encoder.pt", "not a TorchScript file"),
                 {"left_eye_encoder.pt", "node 'enc'", "SHA-256", "manifest.json"}),
      model_case("manifest_missing", part_graph(R"({"part": "left_eye", "manifest": "none.json"})", kPart, kPart), {},
                 {"none.json", "node 'enc'"}),
      model_case("manifest_malformed", part_graph(kPart, kPart, kPart), {}, {"manifest.json", "malformed JSON"},
                 {{"manifest.json", "{\"format\": \"sumi.models\", "}}),
      model_case("manifest_nested_100000_deep", part_graph(kPart, kPart, kPart), {}, {"manifest.json", "nested deeper than 256"},
                 {{"manifest.json", nested(100000)}}),
      model_case("manifest_wrong_format", part_graph(kPart, kPart, kPart), {}, {"manifest.json", "not a Sumi"},
                 {{"manifest.json", R"({"format": 7, "version": 1, "parts": {}})"}}),
      model_case("manifest_window_1e300", part_graph(kPart, kPart, kPart),
                 [](const fs::path& dir) {
                   part_model_copy()(dir);
                   std::string m = read_bytes(dir / "manifest.json");
                   const std::size_t at = m.find("\"window\"");
                   const std::size_t open = m.find('[', at), close = m.find(']', at);
                   m.replace(open, close - open + 1, "[1e300, 0, 10]");
                   write_text((dir / "manifest.json").string(), m);
                 },
                 {"manifest.json", "left_eye", "window"}),
      model_case("manifest_unknown_part", part_graph(R"({"part": "third_eye", "manifest": "manifest.json"})", kPart, kPart),
                 part_model_copy(), {"node 'enc'", "third_eye"}),
      model_case("encoder_file_corrupt", part_graph(part_with(R"("encoder": "junk.pt")"), kPart, kPart), part_model_copy(),
                 {"junk.pt", "node 'enc'"}, {{"junk.pt", "PK\x03\x04 this is no TorchScript archive"}}),
      model_case("encoder_file_truncated", part_graph(part_with(R"("encoder": "cut.pt")"), kPart, kPart),
                 [](const fs::path& dir) {
                   part_model_copy()(dir);
                   const std::string pt = read_bytes(dir / "left_eye_encoder.pt");
                   write_text((dir / "cut.pt").string(), pt.substr(0, pt.size() / 2));
                 },
                 {"cut.pt", "node 'enc'"}),
      model_case("encoder_file_missing", part_graph(part_with(R"("encoder": "none.pt")"), kPart, kPart), part_model_copy(),
                 {"none.pt", "node 'enc'"}),
      model_case("decoder_file_is_a_fifo", part_graph(kPart, kPart, part_with(R"("decoder": "pipe.pt")")), part_model_copy(),
                 {"pipe.pt", "node 'dec'", "not a regular file"}, {{"pipe.pt", kFifo}}),
      model_case("bank_npy_truncated", part_graph(kPart, part_with(R"("bank": "cut.npy")"), kPart), part_model_copy(),
                 {"cut.npy", "node 'proj'"}, {{"cut.npy", truncated_bank}}),
      model_case("bank_npy_shape_2_pow_40", part_graph(kPart, part_with(R"("bank": "huge.npy")"), kPart), part_model_copy(),
                 {"huge.npy", "node 'proj'"}, {{"huge.npy", huge_bank}}),
      model_case("bank_npy_header_broken", part_graph(kPart, part_with(R"("bank": "bad.npy")"), kPart), part_model_copy(),
                 {"bad.npy", "node 'proj'"}, {{"bad.npy", bad_bank_header}}),
      model_case("bank_npy_wrong_width", part_graph(kPart, part_with(R"("bank": "narrow.npy")"), kPart), part_model_copy(),
                 {"node 'proj'", "port 'latent'", "the bank has 16", "narrow.npy"}, {{"narrow.npy", npy_header("(4, 16)") + std::string(4 * 16 * 4, '\0')}}),
      model_case("bank_dev_zero", part_graph(kPart, part_with(R"("bank": "/dev/zero")"), kPart), part_model_copy(),
                 {"/dev/zero", "node 'proj'", "not a regular file"}),
  };
}

std::vector<CliCase> cli_flag_cases() {
  const std::string g = "{dir}/g.sumi.json";
  const std::vector<std::pair<std::string, std::string>> files = {{"g.sumi.json", sketch_graph()}, {"s.strokes.json", kStrokes}};
  const std::string run = "run " + g + " --in draw={dir}/s.strokes.json --out {out} ";
  return {
      {"no_command", {}, "", 2, {"sumi: error:"}},
      {"unknown_command", {}, "frobnicate", 2, {"unknown command 'frobnicate'", "run, batch"}},
      {"run_without_graph", {}, "run", 2, {"graph is required"}},
      {"unknown_flag", files, run + "--frobnicate", 2, {"--frobnicate"}},
      {"threads_negative", files, run + "--threads -1", 2, {"--threads"}},
      {"threads_not_a_number", files, run + "--threads many", 2, {"--threads"}},
      {"set_without_node", files, run + "--set .size=1", 1, {"must be written NODE.PARAM=VALUE"}},
      {"set_unknown_node", files, run + "--set skech.size=64", 1, {"skech", "did you mean 'sketch'?"}},
      {"set_unknown_param", files, run + "--set sketch.sise=64", 1, {"sise", "did you mean 'size'?"}},
      {"set_wrong_type", files, run + "--set sketch.size=big", 1, {"node 'sketch'", "size"}},
      {"set_nested_300_deep", files, run + "--set sketch.size=" + nested(300), 1, {"node 'sketch'", "param 'size'", "expected int"}},
      {"in_unknown_node", files, "run " + g + " --in nobody={dir}/s.strokes.json --out {out}", 1, {"nobody"}},
      {"in_without_file", files, "run " + g + " --in draw --out {out}", 1, {"draw"}},
      {"output_unknown", files, run + "--output sketchh", 1, {"sketchh"}},
      {"device_missing_gpu", files, run + "--device cuda:3", 1, {"cuda:3"}},
      {"device_unknown", files, run + "--device tpu", 1, {"tpu"}},
      {"out_is_a_file", files, "run " + g + " --in draw={dir}/s.strokes.json --out {dir}/s.strokes.json", 1,
       {"{dir}/s.strokes.json"}},
      {"sandbox_refuses_a_read_outside", files, run + "--sandbox {out}", 1, {"outside the sandbox"}},
      {"serve_port_out_of_range", {}, "serve --port 99999", 2, {"--port"}},
      {"batch_input_folder_missing", files, "batch " + g + " --in draw={dir}/nowhere/ --out {out}", 1, {"{dir}/nowhere"}},
  };
}

// Runs the rows of one table: writes each case's files, fills its --out with
// files that must survive, runs `sumi` (four at a time), then checks each.
void run_cli_cases(const std::string& category, const std::vector<CliCase>& cases) {
  TempDir tmp;
  struct Prepared {
    std::string dir, out, args;
    std::map<std::string, std::pair<std::string, fs::file_time_type>> kept;
  };
  std::vector<Prepared> prep;
  const auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(24 * 400);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CliCase& c = cases[i];
    Prepared p;
    p.dir = tmp.path(std::to_string(i));
    p.out = p.dir + "/out";
    fs::create_directories(p.out);
    for (const auto& [name, content] : c.files) {
      const std::string path = p.dir + "/" + name;
      if (content == kFifo) EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
      else if (content == kFolder) fs::create_directory(path);
      else write_text(path, content);
    }
    if (c.setup) c.setup(p.dir);
    // What a run would write (each output's PNG), a stamp and an unrelated file, all old.
    for (const std::string name : {"sketch.png", "image.png", "part.png", "results.jsonl", "keep.txt"}) {
      write_text(p.out + "/" + name, "existing " + name + " of case " + c.name);
      fs::last_write_time(p.out + "/" + name, old_time);
    }
    for (const auto& e : fs::directory_iterator(p.out))
      p.kept[e.path().filename().string()] = {read_bytes(e.path()), fs::last_write_time(e.path())};
    p.args = replace_all(replace_all(replace_all(c.args, "{out}", p.out), "{dir}", p.dir), "{src}", std::string(SUMI_SOURCE_DIR));
    prep.push_back(std::move(p));
  }
  std::vector<CliResult> results(cases.size());
  for (std::size_t start = 0; start < cases.size(); start += 4) {
    std::vector<std::future<CliResult>> running;
    for (std::size_t i = start; i < std::min(cases.size(), start + 4); ++i)
      running.push_back(std::async(std::launch::async, [&, i] { return run_cli("timeout 60 " SUMI_CLI, prep[i].args); }));
    for (std::size_t i = start; i < std::min(cases.size(), start + 4); ++i) results[i] = running[i - start].get();
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CliCase& c = cases[i];
    const CliResult& r = results[i];
    SCOPED_TRACE("catalogue case " + category + "/" + c.name + ": sumi " + prep[i].args.substr(0, 300));
    EXPECT_GE(r.code, 0) << "killed by a signal\n" << r.out;
    EXPECT_LT(r.code, 124) << "killed, crashed or timed out\n" << r.out;  // 124: timeout; 128+N: signal N
    EXPECT_EQ(r.code, c.code) << r.out;
    EXPECT_NE(r.out.find("sumi: error: "), std::string::npos) << r.out;
    for (const std::string& part : c.message) {
      const std::string want = replace_all(replace_all(part, "{dir}", prep[i].dir), "{src}", std::string(SUMI_SOURCE_DIR));
      EXPECT_NE(r.out.find(want), std::string::npos) << r.out << "\n  lacks: " << want;
    }
    for (const char* leak : {"json.exception", "std::bad_alloc", "stoll", "stoi", "enforce fail", "libpng", "terminate called"})
      EXPECT_EQ(r.out.find(leak), std::string::npos) << "a library's own message: " << r.out;
    // The files already in --out: the same names, bytes and times; nothing added.
    std::map<std::string, std::pair<std::string, fs::file_time_type>> now;
    for (const auto& e : fs::directory_iterator(prep[i].out))
      now[e.path().filename().string()] = {read_bytes(e.path()), fs::last_write_time(e.path())};
    EXPECT_EQ(now.size(), prep[i].kept.size()) << "files added to or removed from --out";
    for (const auto& [name, kept] : prep[i].kept) {
      ASSERT_TRUE(now.count(name)) << name << " removed from --out";
      EXPECT_EQ(now[name].first, kept.first) << name << " in --out was changed";
      EXPECT_TRUE(now[name].second == kept.second) << name << " in --out was touched";
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/sumi_abs.png")) << "an output named /tmp/sumi_abs was written";
}

// ---------------------------------------------------------------- HTTP cases

struct HttpCase {
  std::string name;
  std::string method;  // GET, PUT, POST, DELETE
  std::string path;    // {session}: a live session
  httplib::Headers headers;
  std::string body;
  std::string content_type;
  int status;
  std::vector<std::string> message;  // each in the JSON reply's "error"
};

Json load_graph(const std::string& path) {
  return {{"format", "sumi.graph"},
          {"version", 1},
          {"nodes", {{"load", {{"type", "io.load_image"}, {"params", {{"path", path}}}}}}},
          {"outputs", {{"image", "load.image"}}}};
}
Json save_graph(const std::string& to) {
  Json g = load_graph("in.png");
  g["nodes"]["save"] = {{"type", "io.save_image"}, {"in", {{"image", "load.image"}}}, {"params", {{"path", to}}}};
  g["outputs"]["saved"] = "save.path";
  return g;
}
std::string run_body(const Json& graph) { return Json{{"graph", graph}}.dump(); }

std::vector<HttpCase> http_cases(const std::string& victim) {
  const std::string json = "application/json";
  const std::string run = "/api/sessions/{session}/run";
  const std::string graph = editor::test::sketch_graph(64).dump();
  Json bad_param = editor::test::sketch_graph(64);
  bad_param["nodes"]["sketch"]["params"]["size"] = 99999;
  Json unknown_param = editor::test::sketch_graph(64);
  unknown_param["nodes"]["sketch"]["params"]["sise"] = 64;
  Json unknown_type = editor::test::sketch_graph(64);
  unknown_type["nodes"]["sketch"]["type"] = "sketch.rasterize";
  Json cycle = {{"format", "sumi.graph"},
                {"version", 1},
                {"nodes",
                 {{"a", {{"type", "image.invert"}, {"in", {{"image", "b.image"}}}}},
                  {"b", {{"type", "image.invert"}, {"in", {{"image", "a.image"}}}}}}},
                {"outputs", {{"x", "a.image"}}}};
  const std::string overflow = R"({"graph": )" + replace_all(graph, "\"size\":64", "\"size\":1e400") + "}";
  return {
      {"cross_site_fetch_site", "POST", "/api/sessions", {{"Sec-Fetch-Site", "cross-site"}}, "", json, 403, {"cross-site request refused"}},
      {"foreign_origin_post", "POST", "/api/sessions", {{"Origin", "https://evil.example"}}, "", json, 403,
       {"cross-origin request refused"}},
      {"foreign_origin_put_graph", "PUT", "/api/graphs/x.sumi.json", {{"Origin", "https://evil.example"}}, graph, json, 403,
       {"cross-origin"}},
      {"foreign_origin_get", "GET", "/api/graphs", {{"Origin", "http://evil.example"}}, "", "", 403, {"cross-origin"}},
      {"text_plain_charset_json", "PUT", "/api/graphs/x.sumi.json", {}, graph, "text/plain; charset=application/json", 415,
       {"'text/plain'"}},
      {"form_urlencoded", "POST", run, {}, "graph=x", "application/x-www-form-urlencoded", 415, {"application/json"}},
      {"json_with_latin1_charset", "POST", run, {}, run_body(editor::test::sketch_graph(64)), "application/json; charset=iso-8859-1",
       415, {"must be UTF-8"}},
      {"malformed_json", "POST", run, {}, "{\"graph\": {", json, 400, {"malformed JSON"}},
      {"nested_100000_deep_put", "PUT", "/api/graphs/x.sumi.json", {}, nested(100000), json, 400, {"nested deeper than 256"}},
      {"nested_100000_deep_run", "POST", run, {}, "{\"graph\": " + nested(100000) + "}", json, 400, {"nested deeper than 256"}},
      {"invalid_utf8_in_path", "GET", "/api/graphs/%FF.sumi.json", {}, "", "", 400, {"not valid UTF-8"}},
      {"invalid_utf8_in_body", "PUT", "/api/graphs/x.sumi.json", {},
       replace_all(graph, "\"draw\"", "\"dr\xE9w\""), json, 400, {"invalid UTF-8"}},
      {"graph_name_with_dot_dot", "PUT", "/api/graphs/..%2Fescape.sumi.json", {}, graph, json, 403, {"outside the graphs folder"}},
      {"body_over_the_limit", "POST", run, {}, "{\"graph\": \"" + std::string(2 << 20, 'x') + "\"}", json, 413, {}},
      {"number_overflow_1e400", "POST", run, {}, overflow, json, 400, {"number overflow"}},
      {"unknown_session", "POST", "/api/sessions/0123456789abcdef/run", {}, run_body(editor::test::sketch_graph(64)), json, 404,
       {"0123456789abcdef"}},
      {"unknown_output", "GET", "/api/sessions/{session}/outputs/nothing.png", {}, "", "", 404, {"nothing"}},
      {"unknown_node_type", "POST", run, {}, run_body(unknown_type), json, 400, {"node 'sketch'", "sketch.rasterize"}},
      {"unknown_param", "POST", run, {}, run_body(unknown_param), json, 400, {"node 'sketch'", "sise"}},
      {"param_above_maximum", "POST", run, {}, run_body(bad_param), json, 400, {"node 'sketch'", "param 'size'"}},
      {"cycle", "POST", run, {}, run_body(cycle), json, 400, {"cycle"}},
      {"read_outside_sandbox", "POST", run, {}, run_body(load_graph("/etc/passwd")), json, 403,
       {"node 'load'", "param 'path'", "outside the sandbox"}},
      {"save_dot_dot_outside_sandbox", "POST", run, {}, run_body(save_graph("../victim.png")), json, 403,
       {"node 'save'", "param 'path'", "outside the sandbox for write"}},
      {"save_absolute_outside_sandbox", "POST", run, {}, run_body(save_graph(victim)), json, 403,
       {"node 'save'", "param 'path'", "outside the sandbox for write"}},
      {"stored_graph_name_traversal", "POST", run, {}, R"({"graph": "../victim.sumi.json"})", json, 403, {"victim.sumi.json"}},
  };
}

httplib::Result send(httplib::Client& c, const HttpCase& h, const std::string& path) {
  if (h.method == "GET") return c.Get(path.c_str(), h.headers);
  if (h.method == "DELETE") return c.Delete(path.c_str(), h.headers);
  if (h.method == "PUT") return c.Put(path.c_str(), h.headers, h.body, h.content_type.c_str());
  return c.Post(path.c_str(), h.headers, h.body, h.content_type.c_str());
}

// ---------------------------------------------------------------- the tests

TEST(BadInputCatalogue, GraphFiles) { run_cli_cases("graph", graph_file_cases()); }
TEST(BadInputCatalogue, StrokesFiles) { run_cli_cases("strokes", strokes_cases()); }
TEST(BadInputCatalogue, Images) { run_cli_cases("image", image_cases()); }
TEST(BadInputCatalogue, ModelsManifestsBanks) { run_cli_cases("model", model_cases()); }
TEST(BadInputCatalogue, CliFlags) { run_cli_cases("cli", cli_flag_cases()); }

TEST(BadInputCatalogue, HttpRequestsToTheEditorServer) {
  editor::test::EditorTestServer server;
  const fs::path dir = server.dir();
  server.options.outputs_dir = (dir / "outputs").string();
  fs::create_directories(dir / "outputs");
  write_text((dir / "graphs/in.png").string(), png_bytes(8, 8));
  // Files that no refused request may change: outside every root, in the outputs folder, a stored graph.
  const std::vector<fs::path> kept = {dir / "victim.png", dir / "victim.sumi.json", dir / "outputs/keep.png",
                                      dir / "graphs/keep.sumi.json"};
  for (const auto& p : kept) write_text(p.string(), "precious " + p.filename().string());
  std::map<fs::path, fs::file_time_type> times;
  for (const auto& p : kept) times[p] = fs::last_write_time(p);
  server.start();
  const std::string session = server.new_session();
  ASSERT_FALSE(session.empty());
  const auto cases = http_cases((dir / "victim.png").string());
  for (const HttpCase& h : cases) {
    SCOPED_TRACE("catalogue case http/" + h.name + ": " + h.method + " " + h.path);
    httplib::Client c = server.client();
    auto r = send(c, h, replace_all(h.path, "{session}", session));
    ASSERT_TRUE(r) << "no response (the server died?)";
    EXPECT_EQ(r->status, h.status) << r->body.substr(0, 500);
    const Json j = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << "not a JSON error: " << r->body.substr(0, 500);
    const std::string error = j["error"];
    for (const std::string& part : h.message) EXPECT_NE(error.find(part), std::string::npos) << error << "\n  lacks: " << part;
    for (const char* leak : {"json.exception", "std::bad_alloc", "what()"})
      EXPECT_EQ(error.find(leak), std::string::npos) << "a library's own message: " << error;
    auto alive = c.Get("/api/nodes");
    ASSERT_TRUE(alive && alive->status == 200) << "the server stopped answering";
    for (const auto& p : kept) {
      EXPECT_EQ(read_bytes(p), "precious " + p.filename().string()) << p << " changed";
      EXPECT_TRUE(fs::last_write_time(p) == times[p]) << p << " touched";
    }
    EXPECT_FALSE(fs::exists(dir / "graphs/escape.sumi.json"));
  }
  // The session still works after all of them.
  auto ok = server.post_json("/api/sessions/" + session + "/run", Json{{"graph", editor::test::sketch_graph(64)}, {"inputs", {{"draw", editor::test::strokes()}}}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST(BadInputCatalogue, Size) {
  const std::size_t n = graph_file_cases().size() + strokes_cases().size() + image_cases().size() + model_cases().size() +
                        cli_flag_cases().size() + http_cases("/x").size();
  std::printf("bad-input catalogue: %zu cases (graph %zu, strokes %zu, image %zu, model %zu, cli %zu, http %zu)\n", n,
              graph_file_cases().size(), strokes_cases().size(), image_cases().size(), model_cases().size(),
              cli_flag_cases().size(), http_cases("/x").size());
  EXPECT_GE(n, 60u);
}

}  // namespace
}  // namespace sumi::test
