// The file sandbox (issue 21): declared file parameters checked against
// allowed folders before a run starts, after symlinks; `sumi run --sandbox`.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <opencv2/core.hpp>

#include "engine/graph_file.h"
#include "engine/plan.h"
#include "engine/sandbox.h"
#include "engine/session.h"
#include "nodes/common/png.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace sumi::test {
namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_test_png(const fs::path& p, int green = 200) {
  write_png(cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, green, 30)), p.string());
}

// load (io.load_image) -> save (io.save_image); the graph file lives in `dir`.
std::string copy_graph(const std::string& from, const std::string& to) {
  return R"({"format": "sumi.graph", "version": 1, "nodes": {
    "load": {"type": "io.load_image", "params": {"path": ")" + from + R"("}},
    "save": {"type": "io.save_image", "in": {"image": "load.image"}, "params": {"path": ")" + to + R"("}}},
    "outputs": {"image": "load.image", "saved": "save.path"}})";
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_all_nodes(reg_);
    fs::create_directories(tmp_.dir() / "graphs");
    fs::create_directories(tmp_.dir() / "out");
    write_test_png(tmp_.dir() / "graphs/in.png");
    write_test_png(tmp_.dir() / "secret.png", 99);
    box_->allow(tmp_.path("graphs"), Sandbox::kRead);
    box_->allow(tmp_.path("out"), Sandbox::kRead | Sandbox::kWrite);
  }
  Graph graph(const std::string& from, const std::string& to) {
    write_text(tmp_.path("graphs/g.sumi.json"), copy_graph(from, to));
    return load_graph_file(tmp_.path("graphs/g.sumi.json"));
  }
  RunResult run(const Graph& g) {
    Session session(reg_);
    RunOptions opts;
    opts.sandbox = box_;
    return session.run(g, opts);
  }

  TempDir tmp_;
  Registry reg_;
  std::shared_ptr<Sandbox> box_ = std::make_shared<Sandbox>();
};

TEST_F(SandboxTest, EveryBuiltInFileParameterDeclaresReadOrWrite) {
  int files = 0;
  for (const auto& d : reg_.all())
    for (const ParamSpec& p : d->params) {
      if (p.type == ParamType::Path) {
        ++files;
        EXPECT_TRUE(p.access == PathAccess::Read || p.access == PathAccess::Write) << d->id << "." << p.name;
      }
      if (p.type == ParamType::String) {  // a file named by a plain string would escape the sandbox
        EXPECT_EQ(p.name.find("path"), std::string::npos) << d->id << "." << p.name;
      }
    }
  EXPECT_GE(files, 8);
  EXPECT_EQ(reg_.find("io.save_image")->param("path")->file_access(), PathAccess::Write);
  EXPECT_EQ(reg_.find("io.load_image")->param("path")->file_access(), PathAccess::Read);
  EXPECT_EQ(reg_.find("latent.encode")->param("encoder")->file_access(), PathAccess::Read);  // Model
}

TEST_F(SandboxTest, CheckComparesWholeResolvedComponents) {
  EXPECT_EQ(box_->check(tmp_.path("graphs/in.png"), PathAccess::Read), "");
  EXPECT_EQ(box_->check(tmp_.path("out/new/x.png"), PathAccess::Write), "");  // need not exist yet
  EXPECT_NE(box_->check(tmp_.path("graphs/in.png"), PathAccess::Write), "");  // graphs: read only
  EXPECT_NE(box_->check(tmp_.path("graphs/../secret.png"), PathAccess::Read), "");
  EXPECT_NE(box_->check(tmp_.path("out2/x.png"), PathAccess::Write), "");  // a sibling sharing the prefix
  EXPECT_NE(box_->check("/etc/passwd", PathAccess::Read), "");
  EXPECT_EQ(box_->check(tmp_.path("out/x.png"), PathAccess::ReadWrite), "");  // undeclared: read and write, in one folder
  EXPECT_NE(box_->check(tmp_.path("graphs/in.png"), PathAccess::ReadWrite), "");
  std::string why = box_->check("/etc/x.png", PathAccess::Write);
  EXPECT_NE(why.find("'/etc/x.png' is outside the sandbox for write (allowed: " + tmp_.path("graphs") + " (read), " +
                     tmp_.path("out") + " (read, write))"),
            std::string::npos)
      << why;
}

TEST_F(SandboxTest, SymlinksAreFollowedBeforeTheCheck) {
  fs::create_symlink(tmp_.dir() / "secret.png", tmp_.dir() / "graphs/link.png");
  fs::create_directory_symlink(tmp_.dir(), tmp_.dir() / "out/up");
  std::string why = box_->check(tmp_.path("graphs/link.png"), PathAccess::Read);
  EXPECT_NE(why.find("resolves to '" + tmp_.path("secret.png") + "'"), std::string::npos) << why;
  EXPECT_NE(box_->check(tmp_.path("out/up/x.png"), PathAccess::Write), "");
  EXPECT_SUMI_ERROR(run(graph("link.png", "../out/y.png")), "node 'load' (io.load_image)", "param 'path'",
                    "outside the sandbox");
  EXPECT_FALSE(fs::exists(tmp_.dir() / "out/y.png"));
}

TEST_F(SandboxTest, RunsInsideTheSandbox) {
  RunResult r = run(graph("in.png", "../out/copy.png"));
  EXPECT_EQ(r.computed, 2u);
  EXPECT_EQ(read_bytes(tmp_.dir() / "out/copy.png"), read_bytes(tmp_.dir() / "graphs/in.png"));
}

TEST_F(SandboxTest, RefusedRunsTouchNothing) {
  write_text(tmp_.path("victim.png"), "precious");
  const std::string victim = tmp_.path("victim.png");
  for (const std::string& to : {std::string("../victim.png"), victim}) {
    try {
      run(graph("in.png", to));
      ADD_FAILURE() << "wrote " << to;
    } catch (const SandboxError& e) {
      EXPECT_EQ(e.context().node, "save");
      EXPECT_EQ(e.context().param, "path");
      EXPECT_NE(std::string(e.what()).find("'" + victim + "' is outside the sandbox for write"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(read_bytes(victim), "precious");
  }
  EXPECT_SUMI_ERROR(run(graph("/etc/passwd", "../out/x.png")), "node 'load'", "'/etc/passwd' is outside the sandbox");
  EXPECT_FALSE(fs::exists(tmp_.dir() / "out/x.png"));  // the check precedes every node
}

TEST_F(SandboxTest, FedNodesAndDefaultsAreNotChecked) {
  // A fed input node reads no file.
  Session session(reg_);
  RunOptions opts;
  opts.sandbox = box_;
  Value image = session.run(graph("in.png", "../out/a.png"), opts).outputs.at("image");
  opts.inputs["load"] = image;
  EXPECT_NO_THROW(session.run(graph("/etc/passwd", "../out/x.png"), opts));
  EXPECT_TRUE(fs::exists(tmp_.dir() / "out/x.png"));

  // A parameter left at its default names the node's own (shipped) file, outside this sandbox.
  Graph g = graph("in.png", "../out/x.png");
  g.add_node("enc", "latent.encode");
  g.link("load.image", "enc.image");
  const ParamSpec& manifest = *reg_.find("latent.encode")->param("manifest");
  EXPECT_NE(box_->check(std::get<std::string>(manifest.def), PathAccess::Read), "");
  auto plan = compile(g, reg_);
  const std::vector<char> all(plan->nodes.size(), 1);
  EXPECT_NO_THROW(check_sandbox(*box_, *plan, all.data(), std::vector<bool>(all.size())));
  g.set_param("enc", "encoder", std::string("/etc/model.pt"));
  plan = compile(g, reg_);
  EXPECT_SUMI_ERROR(check_sandbox(*box_, *plan, all.data(), std::vector<bool>(all.size())),
                    "node 'enc' (latent.encode): param 'encoder': '/etc/model.pt' is outside the sandbox for read");
}

// ---- sumi run --sandbox ----------------------------------------------------

CliResult sumi(const std::string& args) { return run_cli(SUMI_CLI, args); }

TEST_F(SandboxTest, CliSandboxRefusesAndFullAccessOtherwise) {
  write_text(tmp_.path("graphs/g.sumi.json"), copy_graph("../secret.png", "../out/copy.png"));
  const std::string g = tmp_.path("graphs/g.sumi.json");
  const std::string box = " --sandbox " + tmp_.path("graphs") + "," + tmp_.path("out");

  CliResult refused = sumi("run " + g + " --out " + tmp_.path("out") + box);
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.out.find("node 'load' (io.load_image): param 'path': '" + tmp_.path("secret.png") +
                             "' is outside the sandbox for read"),
            std::string::npos)
      << refused.out;
  EXPECT_FALSE(fs::exists(tmp_.dir() / "out/copy.png"));

  CliResult out_outside = sumi("run " + g + " --set load.path=" + tmp_.path("graphs/in.png") + " --out " + tmp_.path("x") + box);
  EXPECT_EQ(out_outside.code, 1) << out_outside.out;
  EXPECT_NE(out_outside.out.find("--out: '" + tmp_.path("x") + "' is outside the sandbox"), std::string::npos)
      << out_outside.out;
  EXPECT_FALSE(fs::exists(tmp_.dir() / "x"));

  CliResult inside = sumi("run " + g + " --set load.path=" + tmp_.path("graphs/in.png") + " --out " + tmp_.path("out") + box);
  EXPECT_EQ(inside.code, 0) << inside.out;

  CliResult full = sumi("run " + g + " --out " + tmp_.path("out"));
  EXPECT_EQ(full.code, 0) << full.out;
  EXPECT_EQ(read_bytes(tmp_.dir() / "out/copy.png"), read_bytes(tmp_.dir() / "secret.png"));
  EXPECT_NE(sumi("run --help").out.find("--sandbox"), std::string::npos);
}

}  // namespace
}  // namespace sumi::test
