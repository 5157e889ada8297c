// `sumi batch`: many inputs in one process, run as a subprocess as a user would.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/atomic_file.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace sumi::test {
namespace {

using Result = CliResult;
Result sumi(const std::string& args) { return run_cli(SUMI_CLI, args); }

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

std::vector<nlohmann::json> results(const std::string& out_dir) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(read_file(out_dir + "/results.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

std::map<std::string, int> statuses(const std::vector<nlohmann::json>& lines) {
  std::map<std::string, int> n;
  for (const auto& l : lines) ++n[l.at("status").get<std::string>()];
  return n;
}

const char* const kDrawings[] = {"face", "cartoon_face", "cartoon_face_hints"};

// tmp/in: the three example drawings and a corrupt one.
void make_inputs(const TempDir& tmp) {
  fs::create_directories(tmp.path("in"));
  for (const char* d : kDrawings)
    fs::copy_file(source_path(std::string("examples/") + d + ".strokes.json"), tmp.path(std::string("in/") + d + ".strokes.json"));
  write_text(tmp.path("in/bad.strokes.json"), "{\"format\": \"sumi.strokes\", \"version\": 1, \"canvas\": [64, 64], \"strokes\": [{\"points\": [[1]]}]}");
}

// A folder's files are picked by extension whatever its case (FACE.JSON from
// a Windows share is a strokes file); other files are left alone.
TEST(Batch, FolderExtensionsMatchInAnyCase) {
  TempDir tmp;
  fs::create_directories(tmp.path("in"));
  fs::copy_file(source_path("examples/face.strokes.json"), tmp.path("in/UPPER.JSON"));
  write_text(tmp.path("in/notes.txt"), "not a drawing");
  Result r = sumi("batch " + source_path("graphs/sketch_parts.sumi.json") + " --in draw=" + tmp.path("in") + " --out " +
                  tmp.path("out"));
  EXPECT_EQ(r.code, 0) << r.out;
  auto lines = results(tmp.path("out"));
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_HAS(lines[0].at("input").get<std::string>(), "UPPER.JSON");
  EXPECT_EQ(lines[0].at("status"), "done");
}

TEST(Batch, FolderWithACorruptFileThenResumeMatchesSumiRun) {
  TempDir tmp;
  make_inputs(tmp);
  const std::string graph = source_path("graphs/deepfacedrawing.sumi.json");
  Result r = sumi("batch " + graph + " --in draw=" + tmp.path("in") + " --out " + tmp.path("out") + " --jobs 2");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "bad.strokes.json");
  EXPECT_HAS(r.out, "stroke 0, point 0");  // the reason
  EXPECT_HAS(r.out, "1 of 4 items failed");
  for (const char* d : kDrawings) EXPECT_TRUE(fs::exists(tmp.path(std::string("out/") + d + "/portrait.png"))) << d;
  EXPECT_FALSE(fs::exists(tmp.path("out/bad")));
  auto lines = results(tmp.path("out"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(statuses(lines), (std::map<std::string, int>{{"done", 3}, {"failed", 1}}));
  for (const auto& l : lines) {
    EXPECT_TRUE(l.at("ms").is_number());
    if (l["status"] == "failed") {
      EXPECT_HAS(l.at("input").get<std::string>(), "bad.strokes.json");
      EXPECT_TRUE(l.at("outputs").empty());
    } else {
      EXPECT_EQ(l.at("outputs").size(), 4u) << l.dump();  // portrait, guidance, overlay, sketch
    }
  }

  // Byte for byte what `sumi run` writes for the same drawing.
  r = sumi("run " + graph + " --in draw=" + tmp.path("in/face.strokes.json") + " --out " + tmp.path("single"));
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* o : {"portrait", "guidance", "overlay", "sketch"})
    EXPECT_EQ(read_file(tmp.path(std::string("single/") + o + ".png")), read_file(tmp.path(std::string("out/face/") + o + ".png"))) << o;

  // --resume skips the three done (their files untouched) and retries the corrupt one.
  const auto before = fs::last_write_time(tmp.path("out/face/portrait.png"));
  r = sumi("batch " + graph + " --in draw=" + tmp.path("in") + " --out " + tmp.path("out") + " --resume");
  EXPECT_EQ(r.code, 1) << r.out;
  lines = results(tmp.path("out"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(statuses(lines), (std::map<std::string, int>{{"skipped", 3}, {"failed", 1}}));
  EXPECT_EQ(fs::last_write_time(tmp.path("out/face/portrait.png")), before);
}

TEST(Batch, GlobListNamesAndResumeAfterAChange) {
  TempDir tmp;
  make_inputs(tmp);
  const std::string graph = source_path("graphs/sketch_parts.sumi.json");
  Result r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*face*.strokes.json") + "' --out " + tmp.path("g") +
                  " --output sketch --jobs 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "3 done, 0 skipped, 0 failed of 3");
  for (const char* d : kDrawings) EXPECT_TRUE(fs::exists(tmp.path(std::string("g/") + d + "/sketch.png"))) << d;
  EXPECT_FALSE(fs::exists(tmp.path("g/face/parts.png")));  // --output sketch only

  // Same again: all skipped; another parameter: all computed again.
  r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*face*.strokes.json") + "' --out " + tmp.path("g") +
           " --output sketch --resume");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(statuses(results(tmp.path("g"))), (std::map<std::string, int>{{"skipped", 3}}));
  r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*face*.strokes.json") + "' --out " + tmp.path("g") +
           " --output sketch --resume --set sketch.size=64");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(statuses(results(tmp.path("g"))), (std::map<std::string, int>{{"done", 3}}));

  // A list: paths relative to the list, comments and blank lines skipped; a missing file fails alone.
  write_text(tmp.path("in/list.txt"), "# two drawings\nface.strokes.json\n\n" + tmp.path("in/cartoon_face.strokes.json") +
                                          "\nmissing.strokes.json\n");
  r = sumi("batch " + graph + " --in draw=" + tmp.path("in/list.txt") + " --out " + tmp.path("l") +
           " --name '{index}-{stem}-{output}' --output sketch");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "missing.strokes.json");
  EXPECT_TRUE(fs::exists(tmp.path("l/0-face-sketch.png")));
  EXPECT_TRUE(fs::exists(tmp.path("l/1-cartoon_face-sketch.png")));
  EXPECT_EQ(statuses(results(tmp.path("l"))), (std::map<std::string, int>{{"done", 2}, {"failed", 1}}));
}

// {parent} keeps drawings of the same name from different folders apart, as in Python's sumi.batch;
// without it the two would write the same files, which is refused before anything runs.
TEST(Batch, ParentInTheNameKeepsSameNamedDrawingsApart) {
  TempDir tmp;
  for (const char* folder : {"in/anna", "in/ben"}) {
    fs::create_directories(tmp.path(folder));
    fs::copy_file(source_path("examples/face.strokes.json"), tmp.path(std::string(folder) + "/face.strokes.json"));
  }
  const std::string graph = source_path("graphs/sketch_parts.sumi.json");
  Result r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*/face.strokes.json") + "' --out " + tmp.path("o") +
                  " --output sketch --name '{parent}/{stem}-{output}'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp.path("o/anna/face-sketch.png")));
  EXPECT_TRUE(fs::exists(tmp.path("o/ben/face-sketch.png")));
  r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*/face.strokes.json") + "' --out " + tmp.path("clash") +
           " --output sketch --name '{stem}-{output}'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "{parent}");
  EXPECT_FALSE(fs::exists(tmp.path("clash/face-sketch.png")));
}

// Resume compares what the graph expands to: an edited subgraph file re-runs the items (issue 19).
TEST(Batch, ResumeNoticesAnEditedSubgraphFile) {
  TempDir tmp;
  make_inputs(tmp);
  fs::create_directories(tmp.path("sg"));
  for (const char* f : {"bold_lines.sumi.json", "sketch_styles.sumi.json"})
    fs::copy_file(source_path(std::string("examples/subgraphs/") + f), tmp.path(std::string("sg/") + f));
  write_text(tmp.path("in/one.txt"), "face.strokes.json\n");
  const std::string cmd = "batch " + tmp.path("sg/sketch_styles.sumi.json") + " --in draw=" + tmp.path("in/one.txt") +
                          " --out " + tmp.path("o") + " --output bold --resume";
  Result r = sumi(cmd);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(statuses(results(tmp.path("o"))), (std::map<std::string, int>{{"done", 1}}));
  r = sumi(cmd);
  EXPECT_EQ(statuses(results(tmp.path("o"))), (std::map<std::string, int>{{"skipped", 1}}));
  std::string sub = read_file(tmp.path("sg/bold_lines.sumi.json"));
  const auto at = sub.find("\"value\": 1.5");
  ASSERT_NE(at, std::string::npos);
  write_text(tmp.path("sg/bold_lines.sumi.json"), sub.replace(at, 12, "\"value\": 2.5"));
  r = sumi(cmd);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(statuses(results(tmp.path("o"))), (std::map<std::string, int>{{"done", 1}})) << "the sigma default changed";
}

TEST(Batch, ClearMessages) {
  TempDir tmp;
  make_inputs(tmp);
  const std::string graph = source_path("graphs/sketch_parts.sumi.json");
  Result r = sumi("run " + graph + " --in draw=" + tmp.path("in") + " --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "sumi batch " + graph + " --in draw=" + tmp.path("in") + " --out DIR");
  r = sumi("batch " + graph + " --in 'draw=" + tmp.path("in/*.png") + "' --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "no file matches the pattern");
  r = sumi("batch " + graph + " --in draw=" + tmp.path("in") + " --out " + tmp.path("o") + " --name '{stem}'");
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "needs {output}");
}

// Ctrl-C stops between items: exit 130, every item in results.jsonl has all
// its files, no temporary files are left, and --resume finishes the rest.
TEST(Batch, CtrlCStopsCleanly) {
  TempDir tmp;
  fs::create_directories(tmp.path("in"));
  for (int i = 0; i < 100; ++i)
    fs::copy_file(source_path("examples/face.strokes.json"), tmp.path("in/f" + std::to_string(i) + ".strokes.json"));
  const std::string graph = source_path("graphs/sketch_parts.sumi.json");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::freopen("/dev/null", "w", stderr);
    ::execl(SUMI_CLI, SUMI_CLI, "batch", graph.c_str(), "--in", ("draw=" + tmp.path("in")).c_str(), "--out",
            tmp.path("out").c_str(), "--jobs", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for the first results, then interrupt.
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    if (fs::file_size(tmp.path("out/results.jsonl"), ec) > 0 && !ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  auto lines = results(tmp.path("out"));
  EXPECT_LT(lines.size(), 100u);
  for (const auto& l : lines) {
    EXPECT_EQ(l.at("status"), "done");
    for (const auto& f : l.at("outputs")) EXPECT_TRUE(fs::exists(f.get<std::string>())) << f;
  }
  for (const auto& e : fs::recursive_directory_iterator(tmp.path("out")))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  Result r = sumi("batch " + graph + " --in draw=" + tmp.path("in") + " --out " + tmp.path("out") + " --resume");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(statuses(results(tmp.path("out")))["skipped"], static_cast<int>(lines.size()));
}

}  // namespace
}  // namespace sumi::test
