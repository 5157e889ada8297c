// JSON from outside (graph files, strokes files, manifests, command-line
// values) goes through one checked parser (engine/json_util.h): at most 256
// levels deep and 2^24 values (a strokes file: 2 000 000 points), UTF-8 only, errors that name the file with line and column, and
// never a crash (issue 21: a 100 000-deep graph file used to end `sumi run`
// with SIGSEGV, exit 139).
#include <cstdio>

#include <sys/wait.h>

#include "engine/graph_file.h"
#include "engine/json_util.h"
#include "nodes/common/strokes_file.h"
#include "nodes/latent/part_models.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); }

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST(JsonLimits, DepthIsBoundedAndCountsOnlyStructure) {
  EXPECT_EQ(kMaxJsonDepth, 256);
  EXPECT_NO_THROW(parse_json(nested(256), "x.json"));
  EXPECT_SUMI_ERROR(parse_json(nested(257), "x.json"), "x.json: JSON nested deeper than 256 levels", "at line 1, column 257");
  EXPECT_SUMI_ERROR(parse_json(nested(100000), "x.json"), "nested deeper than 256");
  EXPECT_SUMI_ERROR(parse_json_unordered(nested(100000), "m.json"), "m.json: JSON nested deeper");
  EXPECT_SUMI_ERROR(parse_json("{\n  \"a\": {\"b\": " + nested(300) + "}}", "y.json"), "at line 2, column 268");
  // Brackets inside strings do not count; escapes are followed.
  const std::string brackets(1000, '[');
  EXPECT_NO_THROW(parse_json("{\"a\": \"" + brackets + "\"}", "s.json"));
  EXPECT_NO_THROW(parse_json("{\"a\": \"\\\"" + brackets + "\"}", "s.json"));      // "\"[[[...": an escaped quote
  EXPECT_SUMI_ERROR(parse_json("[\"\\\\\", " + nested(256) + "]", "s.json"), "deeper");  // "\\" ends the string
  // Unbalanced closers are the parser's business: a syntax error, not a depth error.
  EXPECT_SUMI_ERROR(parse_json("]]]]", "z.json"), "z.json: malformed JSON at line 1, column 1");
}

TEST(JsonLimits, TextMustBeUtf8) {
  EXPECT_NO_THROW(parse_json("{\"name\": \"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"}", "ok.json"));
  EXPECT_NO_THROW(parse_json("\xef\xbb\xbf{}", "bom.json"));  // a byte-order mark
  EXPECT_SUMI_ERROR(parse_json("{\"name\": \"caf\xe9\"}", "l1.json"), "l1.json: invalid UTF-8 (byte 0xE9) at line 1, column 14");
  for (const char* bad : {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3",
                          "\xe6\x97", "\xff"}) {
    const std::string text = std::string("[\"") + bad + "\"]";
    EXPECT_SUMI_ERROR(parse_json(text, "u.json"), "u.json: invalid UTF-8");
    EXPECT_EQ(invalid_utf8_at(text), 2u) << text;
  }
  EXPECT_EQ(invalid_utf8_at("caf\xc3\xa9"), std::string::npos);
  EXPECT_EQ(utf8_safe("a\xff" "b"), "a\xef\xbf\xbd" "b");
  // Library texts do not leak: no "[json.exception...]" prefix, the file is named.
  try {
    parse_json("{\"size\": 1e400}", "big.json");
    ADD_FAILURE() << "1e400 parsed";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "big.json: malformed JSON: number overflow parsing '1e400'");
  }
}

TEST(JsonLimits, GraphStrokesAndManifestLoadersUseTheCheckedParser) {
  TempDir tmp;
  const std::string head = R"({"format": "sumi.graph", "version": 1, "nodes": {}, "layout": )";
  EXPECT_SUMI_ERROR(parse_graph(head + nested(100000) + "}", "deep.sumi.json"), "deep.sumi.json: JSON nested deeper than 256");
  EXPECT_SUMI_ERROR(parse_graph("{\"format\": \"sumi.graph\", \"version\": 1, \"name\": \"\xff\", \"nodes\": {}}", "n.sumi.json"),
                    "n.sumi.json: invalid UTF-8");
  EXPECT_SUMI_ERROR(parse_strokes(R"({"format": "sumi.strokes", "version": 1, "strokes": )" + nested(100000) + "}", "d.strokes.json"),
                    "d.strokes.json: JSON nested deeper than 256");
  write_text(tmp.path("manifest.json"), R"({"format": "sumi.models", "parts": )" + nested(100000) + "}");
  const std::string manifest = tmp.path("manifest.json"), named = manifest + ": malformed manifest: JSON nested deeper than 256";
  EXPECT_SUMI_ERROR(read_manifest(manifest, "sumi.models", "model"), named.c_str());
  write_text(tmp.path("bad.json"), "{\"format\": \"sumi.models\",");
  EXPECT_SUMI_ERROR(read_manifest(tmp.path("bad.json"), "sumi.models", "model"), "bad.json: malformed manifest: malformed JSON at line 1");
}

struct CliResult {
  int code;
  std::string out;
};

CliResult sumi_cli(const std::string& args) {
  std::string cmd = std::string(SUMI_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CliResult r{-1, {}};
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return r;
}

TEST(JsonLimits, CliRefusesADeepGraphFileWithoutCrashing) {
  TempDir tmp;
  write_text(tmp.path("deep.sumi.json"),
             R"({"format": "sumi.graph", "version": 1, "nodes": {}, "layout": )" + nested(100000) + "}");
  for (const std::string& args : {"run " + tmp.path("deep.sumi.json") + " --out " + tmp.path("o"),
                                   "validate " + tmp.path("deep.sumi.json")}) {
    CliResult r = sumi_cli(args);
    EXPECT_EQ(r.code, 1) << args << ": " << r.out;  // not 139 (SIGSEGV)
    EXPECT_HAS(r.out, "sumi: error: " + tmp.path("deep.sumi.json") + ": JSON nested deeper than 256 levels");
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path("o")));
  // A deep list given to --set is taken as text, and refused as such.
  CliResult r = sumi_cli("run " + source_path("graphs/sketch_parts.sumi.json") + " --set 'sketch.size=" + nested(20000) +
                         "' --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1) << r.out.substr(0, 500);
  EXPECT_HAS(r.out, "param 'size'");
}

TEST(StrokesLimits, PointAndStrokeCountsAreBounded) {
  // One point past the limit, in two strokes.
  const std::size_t half = kMaxStrokePoints / 2 + 1;
  std::string pts;
  pts.reserve(half * 6);
  for (std::size_t i = 0; i < half; ++i) pts += i ? ",[1,2]" : "[1,2]";
  const std::string text = R"({"format":"sumi.strokes","version":1,"canvas":[64,64],"strokes":[{"points":[)" + pts +
                           R"(]},{"points":[)" + pts + "]}]}";
  EXPECT_SUMI_ERROR(parse_strokes(text, "many.strokes.json"), "many.strokes.json", "stroke 1", "2000000 points");
  // A file with more JSON values than any allowed strokes file stops the parser early.
  std::string values = "[";
  const std::size_t n = 4 * kMaxStrokePoints + 8 * kMaxStrokes + 100;
  values.reserve(n * 2 + 2);
  for (std::size_t i = 0; i < n; ++i) values += i ? ",0" : "0";
  values += "]";
  EXPECT_SUMI_ERROR(parse_strokes(R"({"format":"sumi.strokes","version":1,"junk":)" + values + "}", "junk.strokes.json"),
                    "junk.strokes.json", "2000000 points");
  std::string strokes;
  for (std::size_t i = 0; i <= kMaxStrokes; ++i) strokes += i ? R"(,{"points":[]})" : R"({"points":[]})";
  EXPECT_SUMI_ERROR(parse_strokes(R"({"format":"sumi.strokes","version":1,"canvas":[64,64],"strokes":[)" + strokes + "]}",
                                  "s.strokes.json"),
                    "s.strokes.json", "100001 strokes");
}

TEST(JsonLimits, ValueCountIsBoundedWhileParsing) {
  EXPECT_NO_THROW(parse_json("[1,2,3]", "a.json", 4));
  EXPECT_SUMI_ERROR(parse_json("[1,2,3,4]", "a.json", 4), "a.json", "more than 4 values");
  EXPECT_SUMI_ERROR(parse_json_unordered(R"({"a":[1,{"b":2}]})", "m.json", 3), "m.json", "more than 3 values");
}

}  // namespace
}  // namespace sumi::test
