// The sumi command line: exit codes and one-line messages.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

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
  EXPECT_HAS(r.out, "load ms");              // model loading apart from compute
  EXPECT_HAS(r.out, "model loading ");
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
  EXPECT_HAS(r.out, "unknown command 'frobnicate'");
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

// draw -> sketch -> save (io.save_image, an output node); the graph's only output is draw's strokes.
std::string sink_graph(const std::string& png, const std::string& extra_nodes = "") {
  return R"({"format": "sumi.graph", "version": 1, "nodes": {
    "draw": {"type": "io.strokes_input", "params": {"path": ")" + source_path("examples/face.strokes.json") + R"("}},
    "sketch": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokes"}, "params": {"size": 64}},
    "save": {"type": "io.save_image", "in": {"image": "sketch.image"}, "params": {"path": ")" + png + R"("}})" +
         extra_nodes + R"(},
  "outputs": {"strokes": "draw.strokes"}})";
}

TEST(Cli, RunWritesASaveNodeThatIsNoGraphOutput) {
  TempDir tmp;
  write_text(tmp.path("g.sumi.json"), sink_graph(tmp.path("saved.png")));
  Result r = sumi("run " + tmp.path("g.sumi.json") + " --out " + tmp.path("out"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(tmp.path("saved.png"))) << r.out;
  r = sumi("nodes io.save_image");
  EXPECT_HAS(r.out, "io.save_image (v1, output node)");
  r = sumi("nodes --json io.save_image");
  EXPECT_HAS(r.out, "\"output_node\": true");
}

TEST(Cli, ValidateWarnsAboutNodesThatCanNeverRun) {
  TempDir tmp;
  write_text(tmp.path("g.sumi.json"),
             sink_graph(tmp.path("saved.png"),
                        R"(, "orphan": {"type": "sketch.rasterise", "in": {"strokes": "draw.strokes"}})"));
  Result r = sumi("validate " + tmp.path("g.sumi.json"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "sumi: warning: ");
  EXPECT_HAS(r.out, "node 'orphan' (sketch.rasterise) can never run");
  EXPECT_EQ(r.out.find("node 'save'"), std::string::npos) << "an output node runs: " << r.out;
  EXPECT_HAS(r.out, ": ok (");
}

TEST(Cli, ValidateChecksThatInputFilesCanBeRead) {
  TempDir tmp;
  write_text(tmp.path("g.sumi.json"), R"({"format": "sumi.graph", "version": 1, "nodes": {
    "load": {"type": "io.load_image", "params": {"path": "faces/missing.png"}}}, "outputs": {"image": "load.image"}})");
  Result r = sumi("validate " + tmp.path("g.sumi.json"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "sumi: error: " + tmp.path("g.sumi.json") + ": node 'load' (io.load_image): param 'path': input file '" +
                        tmp.path("faces/missing.png") + "' does not exist");
  EXPECT_EQ(r.out.find(": ok"), std::string::npos) << r.out;
}

TEST(Cli, ValidateDoesNotOpenAFifoNamedAsAnInputFile) {
  // Opening a FIFO to see whether it can be read blocks until something writes to it.
  TempDir tmp;
  ASSERT_EQ(::mkfifo(tmp.path("pipe.png").c_str(), 0600), 0);
  write_text(tmp.path("g.sumi.json"), R"({"format": "sumi.graph", "version": 1, "nodes": {
    "load": {"type": "io.load_image", "params": {"path": "pipe.png"}}}, "outputs": {"image": "load.image"}})");
  Result r = run_cli("timeout 30 " SUMI_CLI, "validate " + tmp.path("g.sumi.json"));  // 124 if it hangs
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "input file '" + tmp.path("pipe.png") + "' is not a regular file");
}

TEST(Cli, DotOutputRendersWithGraphviz) {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) GTEST_SKIP() << "Graphviz (dot) is not installed: scripts/setup.sh";
  TempDir tmp;
  Result r = sumi("dot " + source_path("graphs/deepfacedrawing.sumi.json") + " | dot -Tsvg > " + tmp.path("g.svg"));
  EXPECT_EQ(r.code, 0) << r.out;
  std::ifstream f(tmp.path("g.svg"));
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_HAS(ss.str(), "<svg");
  EXPECT_HAS(ss.str(), "face.split");
}

}  // namespace
}  // namespace sumi::test
