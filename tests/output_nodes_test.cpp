// Output nodes (NodeDescriptor::output_node, e.g. io.save_image): they run
// without being graph outputs, a cached write is redone when its file went
// away, validate's never-run list, input-file checks and model-load times.
#include <filesystem>
#include <fstream>

#include "engine/input_files.h"
#include "engine/plan.h"
#include "engine/session.h"
#include "nodes/nodes.h"
#include "tests/stub_nodes.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace sumi::test {
namespace {

class OutputNodes : public ::testing::Test {
 protected:
  void SetUp() override { register_all_nodes(reg); }

  // draw (an example drawing) -> sketch at `size`.
  static Graph sketch_chain(const std::string& example, std::int64_t size) {
    Graph g;
    g.add_node("draw", "io.strokes_input");
    g.set_param("draw", "path", source_path("examples/" + example));
    g.add_node("sketch", "sketch.rasterise");
    g.set_param("sketch", "size", size);
    g.link("draw.strokes", "sketch.strokes");
    return g;
  }

  // draw -> sketch -> save (an output node), plus `extra` -> nothing; graph output: draw's strokes.
  Graph sink_graph(const std::string& png) {
    Graph g = sketch_chain("face.strokes.json", 64);
    g.add_node("save", "io.save_image");
    g.set_param("save", "path", png);
    g.link("sketch.image", "save.image");
    g.set_output("strokes", "draw.strokes");
    return g;
  }
  static NodeStatus status(const RunResult& r, std::string_view id) {
    for (const NodeRun& n : r.nodes)
      if (n.id == id) return n.status;
    return NodeStatus::NotNeeded;
  }

  Registry reg;
  TempDir tmp;
};

TEST_F(OutputNodes, SaveImageIsAnOutputNode) {
  EXPECT_TRUE(reg.find("io.save_image")->output_node);
  EXPECT_FALSE(reg.find("io.load_image")->output_node);
}

TEST_F(OutputNodes, AWholeGraphRunWritesWithoutTheSaveBeingAnOutput) {
  Session s(reg);
  RunResult r = s.run(sink_graph(tmp.path("a.png")));
  EXPECT_EQ(status(r, "save"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "sketch"), NodeStatus::Computed) << "the save pulls in what it needs";
  EXPECT_TRUE(fs::exists(tmp.path("a.png")));
}

TEST_F(OutputNodes, AChosenOutputRunsOnlyTheSavesItFeedsForFree) {
  Graph g = sink_graph(tmp.path("a.png"));
  g.set_output("sketch", "sketch.image");
  auto plan = compile(g, reg);
  auto only_strokes = plan->needed_for({"strokes"});
  EXPECT_FALSE((*only_strokes)[static_cast<std::size_t>(plan->index_of("save"))])
      << "saving would compute the sketch, which the run did not ask for";
  auto sketch = plan->needed_for({"sketch"});
  EXPECT_TRUE((*sketch)[static_cast<std::size_t>(plan->index_of("save"))]) << "its input is computed anyway";
}

TEST_F(OutputNodes, ACachedWriteIsSkippedUntilTheFileGoesAway) {
  Session s(reg);
  const std::string png = tmp.path("a.png");
  Graph g = sink_graph(png);
  ASSERT_EQ(status(s.run(g), "save"), NodeStatus::Computed);
  const auto written = fs::last_write_time(png);

  RunResult again = s.run(g);
  EXPECT_EQ(status(again, "save"), NodeStatus::Cached) << "same image, file still there: no rewrite";
  EXPECT_EQ(fs::last_write_time(png), written);

  fs::remove(png);
  EXPECT_EQ(status(s.run(g), "save"), NodeStatus::Computed) << "a deleted file is written again";
  EXPECT_TRUE(fs::exists(png));

  write_text(png, "scribbled over");
  EXPECT_EQ(status(s.run(g), "save"), NodeStatus::Computed) << "a changed file is written again";
  std::ifstream f(png, std::ios::binary);
  char sig[4] = {};
  f.read(sig, 4);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");

  RunOptions no_cache;
  no_cache.use_cache = false;
  EXPECT_EQ(status(s.run(g, no_cache), "save"), NodeStatus::Computed);
}

TEST_F(OutputNodes, NeverRunNodesAreListed) {
  Graph g = sink_graph(tmp.path("a.png"));
  g.add_node("orphan", "sketch.rasterise");  // upstream of nothing
  g.link("draw.strokes", "orphan.strokes");
  auto plan = compile(g, reg);
  EXPECT_EQ(never_run_nodes(*plan), std::vector<std::string>{"orphan"});
  // Without graph outputs and output nodes every node runs (nothing to warn of).
  Graph bare;
  bare.add_node("a", "io.strokes_input");
  bare.add_node("b", "sketch.rasterise");
  bare.link("a.strokes", "b.strokes");
  EXPECT_TRUE(never_run_nodes(*compile(bare, reg)).empty());
}

TEST_F(OutputNodes, InputFileChecksNameNodeParamAndPath) {
  Graph g;
  g.add_node("load", "io.load_image");
  g.set_param("load", "path", tmp.path("missing.png"));
  g.add_node("draw", "io.strokes_input");
  g.set_param("draw", "path", tmp.dir().string());
  g.add_node("ok", "io.strokes_input");
  g.set_param("ok", "path", source_path("examples/face.strokes.json"));
  g.add_node("fed", "io.strokes_input");  // empty path: not checked
  auto errors = check_input_files(*compile(g, reg));
  ASSERT_EQ(errors.size(), 2u);
  std::string all;
  for (const Error& e : errors) all += std::string(e.what()) + "\n";
  EXPECT_NE(all.find("node 'load' (io.load_image): param 'path': input file '" + tmp.path("missing.png") +
                     "' does not exist"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("node 'draw' (io.strokes_input): param 'path': input file '" + tmp.dir().string() +
                     "' is a folder"),
            std::string::npos)
      << all;
}

TEST_F(OutputNodes, ModelLoadTimeIsReportedApartFromCompute) {
  Graph g = sketch_chain("cartoon_face.strokes.json", 256);
  g.add_node("split", "face.split");
  g.link("sketch.image", "split.sketch");
  g.add_node("enc", "latent.encode");
  g.set_param("enc", "part", std::string("left_eye"));
  g.link("split.left_eye", "enc.image");
  g.set_output("latent", "enc.latent");
  Session s(reg);
  auto load_of = [](const RunResult& r, std::string_view id) {
    for (const NodeRun& n : r.nodes)
      if (n.id == id) return std::make_pair(n.load_ms, n.ms);
    return std::make_pair(-1.0, -1.0);
  };
  RunResult first = s.run(g);
  auto [load, ms] = load_of(first, "enc");
  EXPECT_GT(load, 0.0) << "the encoder was loaded in this run";
  EXPECT_LE(load, ms);
  EXPECT_EQ(load_of(first, "sketch").first, 0.0) << "rasterising loads nothing";
  RunOptions no_cache;
  no_cache.use_cache = false;
  EXPECT_EQ(load_of(s.run(g, no_cache), "enc").first, 0.0) << "the second run finds the model loaded";
}

}  // namespace
}  // namespace sumi::test
