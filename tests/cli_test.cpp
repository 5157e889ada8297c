// The sumi command line: exit codes and one-line messages.
#include <cstdio>

#include "engine/atomic_file.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

using Result = CliResult;
Result sumi(const std::string& args) { return run_cli(SUMI_CLI, args); }

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST(Cli, RunWritesTheOutputsAndProfile) {
  TempDir tmp;
  Result r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --in draw=" +
                  source_path("examples/face.strokes.json") + " --out " + tmp.path("out") + " --profile --threads 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "wrote " + tmp.path("out") + "/parts.png");
  EXPECT_HAS(r.out, "sketch.rasterise");
  EXPECT_HAS(r.out, "threads: 1 TBB x ");  // LibTorch gets the remaining cores
  EXPECT_TRUE(std::filesystem::exists(tmp.path("out/parts.png")));
  EXPECT_TRUE(std::filesystem::exists(tmp.path("out/sketch.png")));
}

TEST(Cli, SetAndOutputSelectWhatRuns) {
  TempDir tmp;
  Result r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --set sketch.size=64 --output sketch --out " +
                  tmp.path("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(std::filesystem::exists(tmp.path("o/parts.png")));
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --verbose --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "sketch (sketch.rasterise) finished in");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --set sketch.size=big --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "sumi: error:");
  EXPECT_HAS(r.out, "node 'sketch'");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --set sketch.size=99999 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "param 'size'");
  EXPECT_HAS(r.out, "above the maximum");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --set nobody.size=3");
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "no node 'nobody'");
}

TEST(Cli, SetMistakesGetHelpfulMessages) {
  TempDir tmp;
  const std::string graph = source_path("graphs/sketch_parts.sumi.json");
  Result r = sumi("run " + graph + " --set sketch.sise=64 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "did you mean 'size'?");
  EXPECT_HAS(r.out, "its parameters: size");
  r = sumi("run " + graph + " --set skech.size=64 --out " + tmp.path("o"));
  EXPECT_HAS(r.out, "did you mean 'sketch'?");
  r = sumi("run " + graph + " --set .size=1 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "must be written NODE.PARAM=VALUE");
  // --set before the graph: the option takes one value, the graph stays the graph
  r = sumi("run --set sketch.size=64 " + graph + " --output sketch --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  // lists without brackets
  r = sumi("run " + graph + " --set split.left_eye=40,110,60 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  // one node type by name, with a suggestion for a near miss
  r = sumi("nodes face.split");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "face.split (v");
  EXPECT_EQ(r.out.find("image.invert"), std::string::npos);
  r = sumi("nodes face.splt");
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "did you mean 'face.split'?");
}

TEST(Cli, BadInputsFailWithOneClearLine) {
  TempDir tmp;
  Result r = sumi("run /no/such/graph.sumi.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "sumi: error: /no/such/graph.sumi.json: file not found");
  write_text(tmp.path("bad.sumi.json"), "{\"format\": \"sumi.graph\",\n \"version\": 1,\n \"nodes\": {]}");
  r = sumi("validate " + tmp.path("bad.sumi.json"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "malformed JSON at line 3");
  write_text(tmp.path("bad.strokes.json"), "{\"format\": \"sumi.strokes\", \"version\": 1, \"canvas\": [64, 64], \"strokes\": [{\"points\": [[1]]}]}");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --in draw=" + tmp.path("bad.strokes.json") +
           " --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "bad.strokes.json");
  EXPECT_HAS(r.out, "stroke 0, point 0");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --in draw=" + tmp.path("missing.json"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "file not found");
  r = sumi("run " + source_path("graphs/sketch_parts.sumi.json") + " --device cuda:3 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "cuda:3");
  r = sumi("run");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "graph is required");
  r = sumi("frobnicate");
  EXPECT_EQ(r.code, 2);
}

TEST(Cli, ValidateNodesDotAndHelp) {
  Result r = sumi("validate " + source_path("graphs/sketch_parts.sumi.json"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "ok (6 nodes");
  r = sumi("nodes");
  EXPECT_EQ(r.code, 0);
  EXPECT_HAS(r.out, "sketch.rasterise (v1)");
  EXPECT_HAS(r.out, "param size: int = 256 [0..16384]");
  r = sumi("nodes --json");
  EXPECT_EQ(r.code, 0);
  EXPECT_HAS(r.out, "\"format\": \"sumi.nodes\"");
  r = sumi("dot " + source_path("graphs/sketch_parts.sumi.json"));
  EXPECT_EQ(r.code, 0);
  EXPECT_HAS(r.out, "\"draw\" -> \"sketch\" [label=\"strokes -> strokes\"]");
  for (const char* sub : {"", "run ", "validate ", "nodes ", "dot "}) {
    r = sumi(std::string(sub) + "--help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_HAS(r.out, "Usage");
  }
}

}  // namespace
}  // namespace sumi::test
