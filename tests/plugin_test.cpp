// Plugins (engine/plugins.h): the example C++ plugin loaded in-process and
// run; packs that must be refused, each naming its file and reason while the
// others load; and the CLI's --plugins, $SUMI_PLUGIN_PATH and ./sumi_plugins
// with the example C++ and Python plugins.
#include <dlfcn.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <opencv2/core.hpp>

#include "engine/graph.h"
#include "engine/plugins.h"
#include "engine/session.h"
#include "nodes/common/image_mat.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

namespace fs = std::filesystem;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

const fs::path kExamples = SUMI_EXAMPLE_PLUGINS;  // build/examples/plugins: fx_sharpen.so, fx_posterize.py
const fs::path kTestPlugins = SUMI_TEST_PLUGINS;   // build/tests/plugins

CliResult sumi(const std::string& args) { return run_cli(SUMI_CLI, args); }

// `from` copied into folder `dir` as `name`; returns the copy's canonical path.
std::string copy_into(const fs::path& from, const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  fs::copy_file(from, dir / name, fs::copy_options::overwrite_existing);
  return fs::canonical(dir / name).string();
}

std::string real_path(const fs::path& p) { return fs::canonical(p).string(); }

// The error reported for `file`, or "" when there is none.
std::string error_for(const PluginReport& r, const std::string& file) {
  for (const PluginError& e : r.errors)
    if (e.file == file) return e.message;
  return "";
}

TEST(Plugins, TheExampleCppPluginLoadsWithItsOriginAndRuns) {
  TempDir tmp;
  const std::string so = copy_into(kExamples / "fx_sharpen.so", tmp.dir() / "p", "fx_sharpen.so");
  Registry reg;
  register_all_nodes(reg);
  PluginReport r = load_plugins(reg, {tmp.path("p")});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().what();
  ASSERT_EQ(r.loaded, std::vector<std::string>{so});
  const NodeDescriptor* d = reg.find("fx.sharpen");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->origin, so);
  EXPECT_EQ(origin_label(*d), so);
  EXPECT_EQ(origin_label(*reg.find("image.blur")), "built-in");

  // A mid-grey image with one brighter pixel: sharpening overshoots it and
  // darkens its neighbours (an unsharp mask), and amount 0 passes it through.
  cv::Mat m(9, 9, CV_32FC1, cv::Scalar(0.5f));
  m.at<float>(4, 4) = 0.6f;
  Graph g;
  g.add_node("load", "io.load_image");
  g.add_node("sharpen", "fx.sharpen");
  g.link("load.image", "sharpen.image");
  g.set_output("image", "sharpen.image");
  Session session(reg);
  RunOptions opts;
  opts.inputs["load"] = mat_to_image(m, "cpu");
  cv::Mat out = image_to_mat(session.run(g, opts).outputs.at("image"));
  EXPECT_GT(out.at<float>(4, 4), 0.65f);
  EXPECT_LT(out.at<float>(4, 5), 0.5f);
  EXPECT_NEAR(out.at<float>(0, 0), 0.5f, 1e-4);  // far from the pixel: only the blur's far tail
  g.set_param("sharpen", "amount", 0.0);
  out = image_to_mat(session.run(g, opts).outputs.at("image"));
  EXPECT_EQ(out.at<float>(4, 4), 0.6f);

  // Loading the same folder again adds nothing and reports nothing.
  r = load_plugins(reg, {tmp.path("p")});
  EXPECT_TRUE(r.loaded.empty());
  EXPECT_TRUE(r.errors.empty());
}

TEST(Plugins, EachBadPackNamesItsFileAndTheOthersStillLoad) {
  TempDir tmp;
  const fs::path dir = tmp.dir() / "mixed";
  const std::string good = copy_into(kExamples / "fx_sharpen.so", dir, "b_sharpen.so");
  const std::string wrong = copy_into(kTestPlugins / "wrong_version_plugin.so", dir, "c_wrong_version.so");
  const std::string clash = copy_into(kTestPlugins / "builtin_clash_plugin.so", dir, "d_clash.so");
  write_text((dir / "a_broken.so").string(), "this is not a shared library\n");
  const std::string broken = real_path(dir / "a_broken.so");
  // A shared library that is no Sumi plugin: zlib, loaded here for libpng.
  Dl_info zlib{};
  ASSERT_TRUE(dladdr(reinterpret_cast<void*>(&zlibVersion), &zlib) && zlib.dli_fname);
  const std::string not_plugin = copy_into(zlib.dli_fname, dir, "e_not_a_plugin.so");
  write_text((dir / "README.txt").string(), "ignored\n");
  write_text((dir / "_helper.py").string(), "raise SystemExit('helpers are not plugins')\n");

  Registry reg;
  register_all_nodes(reg);
  const std::size_t builtins = reg.size();
  PluginReport r = load_plugins(reg, {dir.string(), tmp.path("missing")}, [](const std::string&, Registry&) {
    throw std::runtime_error("no Python here");
  });
  EXPECT_EQ(r.loaded, std::vector<std::string>{good});
  EXPECT_EQ(reg.size(), builtins + 1);  // fx.sharpen, nothing of the refused packs
  EXPECT_HAS(error_for(r, broken), "cannot load the library");
  EXPECT_HAS(error_for(r, wrong), "built against Sumi plugin API version 999, but this Sumi has version 3");
  EXPECT_HAS(error_for(r, clash), "node type 'image.blur' is already defined by the built-in nodes");
  EXPECT_EQ(reg.find("fx.clash_ok"), nullptr);  // a pack loads whole or not at all
  EXPECT_HAS(error_for(r, not_plugin), "not a Sumi plugin: it exports no sumi_plugin_api_version()");
  EXPECT_HAS(error_for(r, tmp.path("missing")), "plugin folder does not exist");
  EXPECT_EQ(r.errors.size(), 5u);
  for (const PluginError& e : r.errors) EXPECT_HAS(e.what(), e.file + ": ");
}

TEST(Plugins, AnErrorInAPluginsNodeNamesTheNode) {
  TempDir tmp;
  copy_into(kTestPlugins / "failing_node_plugin.so", tmp.dir() / "p", "failing.so");
  Registry reg;
  register_all_nodes(reg);
  PluginReport r = load_plugins(reg, {tmp.path("p")});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().what();
  Graph g;
  g.add_node("load", "io.load_image");
  g.add_node("bad", "fx.fail");
  g.link("load.image", "bad.image");
  g.set_output("image", "bad.image");
  Session session(reg);
  RunOptions opts;
  opts.inputs["load"] = mat_to_image(cv::Mat(4, 4, CV_32FC1, cv::Scalar(0.5f)), "cpu");
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'bad' (fx.fail)", "param 'amount'", "deliberate failure in a plugin");
}

TEST(Plugins, ADuplicateIdAcrossPacksNamesBothFiles) {
  TempDir tmp;
  const std::string first = copy_into(kExamples / "fx_sharpen.so", tmp.dir() / "one", "sharpen.so");
  const std::string second = copy_into(kExamples / "fx_sharpen.so", tmp.dir() / "two", "sharpen_again.so");
  Registry reg;
  register_all_nodes(reg);
  PluginReport r = load_plugins(reg, {tmp.path("one"), tmp.path("two")});
  EXPECT_EQ(r.loaded, std::vector<std::string>{first});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, second);
  EXPECT_HAS(r.errors[0].message, "node type 'fx.sharpen' is already defined by " + first);
  EXPECT_EQ(reg.find("fx.sharpen")->origin, first);
}

TEST(Plugins, SearchPathIsFlagsThenEnvironmentThenProjectFolder) {
  TempDir tmp;
  fs::create_directories(tmp.dir() / "sumi_plugins");
  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.dir());
  ::setenv("SUMI_PLUGIN_PATH", "/env/a::/env/b:/flag", 1);
  auto dirs = plugin_search_path({"/flag", "flag2"});
  ::unsetenv("SUMI_PLUGIN_PATH");
  EXPECT_EQ(dirs, (std::vector<std::string>{"/flag", "flag2", "/env/a", "/env/b", "sumi_plugins"}));
  EXPECT_EQ(plugin_search_path({}, false), std::vector<std::string>{});
  fs::current_path(cwd);
}

// ---- through the CLI: C++ and Python plugins ----------------------------------------------

TEST(PluginsCli, NodesShowsEachNodesOriginAndRunUsesThem) {
  TempDir tmp;
  const std::string examples = kExamples.string();
  CliResult r = sumi("nodes --plugins " + examples + " fx.sharpen fx.posterize image.blur");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "fx.sharpen (v1) - Unsharp mask");
  EXPECT_HAS(r.out, "origin: " + real_path(kExamples / "fx_sharpen.so"));
  EXPECT_HAS(r.out, "fx.posterize (v1)");
  EXPECT_HAS(r.out, "origin: " + real_path(kExamples / "fx_posterize.py"));
  EXPECT_HAS(r.out, "image.blur (v1) - Gaussian blur");
  EXPECT_HAS(r.out, "origin: built-in");
  r = sumi("nodes --json --plugins " + examples + " fx.posterize");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "\"origin\": \"" + real_path(kExamples / "fx_posterize.py") + "\"");

  // The example graph uses both: unknown types without the plugins, a run with them.
  const std::string graph = source_path("examples/plugins/poster.sumi.json");
  r = sumi("validate " + graph);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "unknown node type 'fx.sharpen' (if a plugin defines it, load the plugin: docs/plugins.md)");
  r = sumi("run --plugins " + examples + " " + graph + " --out " + tmp.path("out") + " --threads 2");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp.path("out/poster.png"))) << r.out;
  EXPECT_TRUE(fs::exists(tmp.path("out/sharpened.png"))) << r.out;
}

// A Python package (a folder with __init__.py) is one pack, loaded by the CLI's
// embedded interpreter like a .py file; its origin is the folder.
TEST(PluginsCli, APythonPackageIsOnePlugin) {
  TempDir tmp;
  const fs::path pack = tmp.dir() / "plugins" / "image_pack";
  fs::create_directories(pack);
  write_text((pack / "__init__.py").string(), "from .filters import invert  # noqa: F401\n");
  write_text((pack / "filters.py").string(),
             "import sumi\n\n@sumi.node('pack.invert', inputs={'image': 'Image'}, outputs={'image': 'Image'})\n"
             "def invert(image):\n    return 1.0 - image\n");
  CliResult r = sumi("nodes --plugins " + (tmp.dir() / "plugins").string() + " pack.invert");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "pack.invert (v1)");
  EXPECT_HAS(r.out, "origin: " + real_path(pack));
}

TEST(PluginsCli, EnvironmentAndProjectFolderAreLoaded) {
  TempDir tmp;
  const std::string so = copy_into(kExamples / "fx_sharpen.so", tmp.dir() / "sumi_plugins", "fx_sharpen.so");
  CliResult r = run_cli("cd " + tmp.dir().string() + " && " + SUMI_CLI, "nodes fx.sharpen");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "origin: " + so);
  r = run_cli("SUMI_PLUGIN_PATH=" + kExamples.string() + " " + SUMI_CLI, "nodes fx.posterize");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "origin: " + real_path(kExamples / "fx_posterize.py"));
  r = sumi("nodes fx.sharpen");
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "no node type 'fx.sharpen'");
}

TEST(PluginsCli, BadPluginsAreNamedAndTheOthersLoad) {
  TempDir tmp;
  const fs::path dir = tmp.dir() / "mixed";
  const std::string so = copy_into(kExamples / "fx_sharpen.so", dir, "fx_sharpen.so");
  const std::string py = copy_into(kExamples / "fx_posterize.py", dir, "fx_posterize.py");
  const std::string wrong = copy_into(kTestPlugins / "wrong_version_plugin.so", dir, "wrong_version.so");
  write_text((dir / "broken.so").string(), "not ELF\n");
  write_text((dir / "syntax_error.py").string(), "import sumi\n\ndef posterize(:\n    pass\n");
  write_text((dir / "raises.py").string(), "import sumi\n\nraise RuntimeError('no licence key')\n");
  // A Python plugin that redefines a node of another pack.
  write_text((dir / "z_duplicate.py").string(),
             "import sumi\n\n@sumi.node('fx.sharpen', inputs={'image': 'Image'}, outputs={'image': 'Image'})\n"
             "def sharpen(image):\n    return image\n");
  CliResult r = sumi("nodes --plugins " + dir.string());
  EXPECT_EQ(r.code, 1) << r.out;  // listed, but the failures make the check fail
  EXPECT_HAS(r.out, "sumi: error: plugin " + real_path(dir / "broken.so") + ": cannot load the library");
  EXPECT_HAS(r.out, "sumi: error: plugin " + wrong + ": built against Sumi plugin API version 999, but this Sumi has version 3");
  EXPECT_HAS(r.out, "sumi: error: plugin " + real_path(dir / "syntax_error.py") + ": ");
  EXPECT_HAS(r.out, "SyntaxError");
  EXPECT_HAS(r.out, "line 3");
  EXPECT_HAS(r.out, "sumi: error: plugin " + real_path(dir / "raises.py") + ": ");
  EXPECT_HAS(r.out, "RuntimeError: no licence key");
  EXPECT_HAS(r.out, "sumi: error: plugin " + real_path(dir / "z_duplicate.py") +
                        ": node type 'fx.sharpen' is already defined by " + so);
  EXPECT_HAS(r.out, "origin: " + so);
  EXPECT_HAS(r.out, "origin: " + py);
  EXPECT_HAS(r.out, "sketch.rasterise (v1)");
}

TEST(PluginsCli, ServeRefusesPluginsFromFoldersTheApiWrites) {
  TempDir tmp;
  fs::create_directories(tmp.dir() / "graphs" / "plugins");
  fs::create_directories(tmp.dir() / "out");
  CliResult r = sumi("serve --port 0 --graphs " + tmp.path("graphs") + " --outputs " + tmp.path("out") + " --plugins " +
                     tmp.path("graphs/plugins"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "plugin folder '" + tmp.path("graphs/plugins") + "' overlaps the graphs folder");
  r = sumi("serve --port 0 --graphs " + tmp.path("graphs") + " --outputs " + tmp.path("out") + " --plugins " + tmp.path("out"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "overlaps the outputs folder");
}

}  // namespace
}  // namespace sumi::test
