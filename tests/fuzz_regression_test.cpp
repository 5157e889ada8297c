// Inputs that the fuzz targets (fuzz/, scripts/fuzz.sh) or the sanitizer run
// (scripts/sanitize.sh) turned up, kept as tests: each used to crash, hit
// undefined behaviour or leak a raw library exception; now it is a sumi::Error
// that names the file and the field. docs/hardening.md lists them.
#include <nlohmann/json.hpp>

#include "engine/graph_file.h"
#include "nodes/common/part_set.h"
#include "nodes/common/strokes_file.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"
#include "nodes/synth/synth_models.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

nlohmann::json manifest(const std::string& text) { return nlohmann::json::parse(text); }

// Part-model manifests: numbers became ints through nlohmann's get<int>(), a
// static_cast (UB for 1e300: UBSan "outside the range of representable values"),
// and "canvas": "x" escaped as json type_error 302 (no file named).
TEST(FuzzRegression, PartManifestNumbersAreCheckedIntegers) {
  const std::string path = "/m/parts/manifest.json";
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": {"window": [1e300, 0, 10]}}})"), path),
                    "manifest.json", "part 'a': window: \"x\" must be an integer from -16384 to 16384, not 1e+300");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"canvas": "x", "parts": {}})"), path), "manifest.json",
                    "\"canvas\" must be an integer from 1 to 16384, not \"x\"");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": {"window": [0, 0, 8], "input_size": 64.5}}})"), path),
                    "\"input_size\" must be an integer");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": {"window": [0, 0, 8], "latent": 18446744073709551615}}})"), path),
                    "\"latent\" must be an integer");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": {"window": [0, 0]}}})"), path), "window must be [x, y, size]");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": 3}})"), path), "part 'a' must be an object");
  EXPECT_SUMI_ERROR(parse_part_models(manifest(R"({"parts": {"a": {"window": [0, 0, 8], "bank": 7}}})"), path),
                    "part 'a': \"bank\" must be a file name");
  // What used to load still does, integral floats included.
  const auto pm = parse_part_models(manifest(R"({"canvas": 256.0, "parts": {"a": {"window": [-4, 5, 60], "bank": "b.npy"}}})"), path);
  EXPECT_EQ(pm->canvas, 256);
  EXPECT_EQ(pm->part("a").window, (Window{-4, 5, 60}));
  EXPECT_EQ(pm->part("a").input_size, 64);
  EXPECT_EQ(pm->part("a").bank, "/m/parts/b.npy");
}

// Synthesis manifests: a window scaled by size / canvas overflowed int
// (UBSan: 2.7e+11 is outside the range of int) for "canvas": 1.
TEST(FuzzRegression, SynthManifestWindowsCannotOverflowWhenScaled) {
  const std::string path = "/m/synth/manifest.json";
  EXPECT_SUMI_ERROR(parse_synth_models(manifest(R"({"size": 128, "generator": "g.pt", "canvas": 1,
      "parts": {"remainder": {"window": [2147483647, 0, 10], "feature_decoder": "f.pt"}}})"), path),
                    "manifest.json", "part 'remainder': window: \"x\" must be an integer from -16384 to 16384");
  EXPECT_SUMI_ERROR(parse_synth_models(manifest(R"({"size": 1e9, "generator": "g.pt", "parts": {}})"), path),
                    "\"size\" must be an integer from 1 to 16384");
  EXPECT_SUMI_ERROR(parse_synth_models(manifest(R"({"size": 128, "generator": 5, "parts": {}})"), path),
                    "\"generator\" must be a file name");
  // The largest values allowed scale without overflow.
  const auto sm = parse_synth_models(manifest(R"({"size": 16384, "canvas": 1, "generator": "g.pt",
      "parts": {"remainder": {"window": [-16384, 16384, 16384], "feature_decoder": "f.pt"}}})"), path);
  EXPECT_EQ(sm->part("remainder").window, (Window{-16384 * 16384, 16384 * 16384, 16384 * 16384}));
}

TEST(FuzzRegression, ShippedManifestsLoadAsBefore) {
  const std::string parts = std::string(SUMI_SOURCE_DIR) + "/models/parts/manifest.json";
  const auto pm = parse_part_models(read_manifest(parts, "sumi.models", "model"), parts);
  EXPECT_EQ(pm->canvas, 256);
  EXPECT_EQ(pm->part("left_eye").window, (Window{44, 112, 60}));
  EXPECT_EQ(pm->part("remainder").input_size, 128);
  const std::string synth = std::string(SUMI_SOURCE_DIR) + "/models/synth/manifest.json";
  const auto sm = parse_synth_models(read_manifest(synth, "sumi.synth", "synthesis-model"), synth);
  EXPECT_EQ(sm->size, 128);
  EXPECT_EQ(sm->channels, 33);
  EXPECT_EQ(sm->part("left_eye").window, (Window{22, 56, 30}));  // 44, 112, 60 at 128 / 256
  EXPECT_EQ(sm->part("remainder").map_size, 64);
  const std::string stylegan = std::string(SUMI_SOURCE_DIR) + "/models/stylegan/manifest.json";
  const auto st = parse_stylegan_models(read_manifest(stylegan, "sumi.stylegan", "StyleGAN"), stylegan);
  EXPECT_EQ(st->w_dim, 256);
  EXPECT_EQ(st->num_ws, 12);
  EXPECT_SUMI_ERROR(parse_stylegan_models(manifest(R"({"size": 128, "w_dim": -1, "num_ws": 12})"), stylegan),
                    "\"w_dim\" must be an integer from 1 to 65536, not -1");
}

// A non-string "format" in a manifest, or "kind" in a stroke, escaped from
// nlohmann's value() as "[json.exception.type_error.302] type must be string".
TEST(FuzzRegression, NonStringFormatAndKindAreErrorsNamingTheFile) {
  TempDir tmp;
  write_text(tmp.path("m.json"), R"({"format": 1, "parts": {}})");
  EXPECT_SUMI_ERROR(read_manifest(tmp.path("m.json"), "sumi.models", "model"), "m.json",
                    "not a Sumi model manifest (\"format\": \"sumi.models\")");
  const std::string head = R"({"format": "sumi.strokes", "version": 1, "canvas": [8, 8], "strokes": )";
  EXPECT_SUMI_ERROR(parse_strokes(head + R"([{"kind": 5, "points": []}]})", "k.strokes.json"), "k.strokes.json",
                    "stroke 0: kind must be \"line\", \"hint\" or \"erase\", got 5");
  EXPECT_EQ(parse_strokes(head + R"([{"kind": "hint", "points": [[1, 2]]}]})").strokes.at(0).kind, StrokeKind::Hint);
}

// Integers above what the reader keeps wrapped silently: a strokes canvas of
// [4294967297, 8] loaded as 1 x 8, a parameter 18446744073709551615 as -1.
TEST(FuzzRegression, HugeIntegersAreRefusedNotWrapped) {
  const std::string head = R"({"format": "sumi.strokes", "version": 1, "strokes": [], "canvas": )";
  EXPECT_SUMI_ERROR(parse_strokes(head + "[4294967297, 8]}", "c.strokes.json"), "c.strokes.json", "canvas [4294967297,8] must be 1..8192");
  EXPECT_SUMI_ERROR(parse_strokes(head + "[8, 18446744073709551615]}", "c.strokes.json"), "must be 1..8192");
  EXPECT_EQ(parse_strokes(head + "[8192, 1]}").width, 8192);
  const std::string graph = R"({"format": "sumi.graph", "version": 1, "nodes": {"a": {"type": "t", "params": {"n": )";
  EXPECT_SUMI_ERROR(parse_graph(graph + "18446744073709551615}}}}", "p.sumi.json"), "p.sumi.json",
                    "integer 18446744073709551615 is too large");
  const Graph g = parse_graph(graph + "9223372036854775807}}}}", "p.sumi.json");
  EXPECT_EQ(std::get<std::int64_t>(g.node("a")->params.at("n")), INT64_MAX);
}

}  // namespace
}  // namespace sumi::test
