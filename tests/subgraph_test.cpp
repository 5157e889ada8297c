// Subgraphs (issue 19): graph files used as nodes, variables, version-2 files,
// expansion, errors naming the path through instances, reference cycles,
// per-inner-node caching, dot clusters.
#include <algorithm>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/core.hpp>

#include "engine/atomic_file.h"
#include "engine/graph_file.h"
#include "engine/introspect.h"
#include "engine/runtime.h"
#include "engine/sandbox.h"
#include "engine/session.h"
#include "engine/subgraph.h"
#include "engine/validate.h"
#include "tests/stub_nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

// chain.sumi.json: x ─► add (+ $bias) ─► round ─► y
const char* kChain = R"({"format":"sumi.graph","version":2,"name":"chain",
  "variables":{"bias":{"value":10,"doc":"added before rounding"},"mode":"plain"},
  "interface":{"inputs":{"x":{"to":["add1.a"],"doc":"the number"}}},
  "nodes":{"add1":{"type":"test.add","params":{"bias":"$bias","mode":"$mode"}},
           "r":{"type":"test.round","in":{"in":"add1.out"}}},
  "outputs":{"y":"r.out"}})";

// top.sumi.json: src ─► p (chain, bias 5), q (chain) ─► sum = p.y + q.y
const char* kTop = R"({"format":"sumi.graph","version":2,"name":"top",
  "variables":{"start":1},
  "nodes":{"src":{"type":"test.source","params":{"value":"$start"}},
           "p":{"type":"subgraph","in":{"x":"src.out"},"params":{"file":"chain.sumi.json","bias":5}},
           "q":{"type":"subgraph","in":{"x":"src.out"},"params":{"file":"chain.sumi.json"}},
           "sum":{"type":"test.add","in":{"a":"p.y","b":"q.y"}}},
  "outputs":{"result":"sum.out"}})";

class Subgraph : public ::testing::Test {
 protected:
  Subgraph() {
    configure_threads(0);
    register_stub_nodes(reg, counters);
    write_text(tmp.path("chain.sumi.json"), kChain);
    write_text(tmp.path("top.sumi.json"), kTop);
  }

  std::string errors_of(const Graph& g) {
    std::string all;
    for (const Error& e : validate(g, reg)) all += std::string(e.what()) + "\n";
    return all;
  }

  static NodeStatus status(const RunResult& r, const std::string& id) {
    for (const NodeRun& n : r.nodes)
      if (n.id == id) return n.status;
    ADD_FAILURE() << "no node " << id;
    return NodeStatus::NotNeeded;
  }

  TempDir tmp;
  StubCounters counters;
  Registry reg;
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(Subgraph, Version2FilesRoundTripExactly) {
  Graph chain = load_graph_file(tmp.path("chain.sumi.json"));
  EXPECT_EQ(chain.variables().at("bias").doc, "added before rounding");
  EXPECT_EQ(chain.interface_inputs().at("x").to.front().str(), "add1.a");
  save_graph_file(chain, tmp.path("saved.sumi.json"));
  Graph back = load_graph_file(tmp.path("saved.sumi.json"));
  EXPECT_TRUE(back.same_semantics(chain));
  const std::string text = read_file(tmp.path("saved.sumi.json"));
  EXPECT_HAS(text, "\"version\": 2");
  EXPECT_HAS(text, "\"mode\": \"plain\"");  // a variable without doc is written plainly
  save_graph_file(back, tmp.path("again.sumi.json"));
  EXPECT_EQ(text, read_file(tmp.path("again.sumi.json")));
  // Instances stay instances when saved: nothing is flattened.
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  EXPECT_EQ(parse_graph(graph_to_json(top)).nodes().at("p").type, "subgraph");
  EXPECT_EQ(parse_graph(graph_to_json(top)).nodes().size(), 4u);
}

TEST_F(Subgraph, Version1FilesLoadAndSaveUnchanged) {
  for (const auto& entry : std::filesystem::directory_iterator(source_path("graphs"))) {
    const std::string path = entry.path().string();
    if (path.size() < 10 || path.substr(path.size() - 10) != ".sumi.json") continue;
    Graph g = load_graph_file(path);
    if (g.uses_subgraph_features()) continue;  // a version-2 shipped graph
    EXPECT_HAS(graph_to_json(g), "\"version\": 1,");
    Graph again = parse_graph(graph_to_json(g));
    EXPECT_TRUE(again.same_semantics(g)) << path;
  }
  // Version-2 fields are refused in a version-1 file rather than misread.
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":1,"variables":{"a":1},"nodes":{}})", "v1.sumi.json"),
                    "v1.sumi.json", "\"variables\" needs \"version\": 2");
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":3,"nodes":{}})", "v3.sumi.json"),
                    "newer than this Sumi supports (2)");
}

TEST_F(Subgraph, ExpandsWithPrefixedIdsAndRuns) {
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  EXPECT_EQ(errors_of(top), "");
  Graph flat = expand_graph(top, reg);
  std::vector<std::string> ids;
  for (const auto& [id, n] : flat.nodes()) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p/add1", "p/r", "q/add1", "q/r", "src", "sum"}));
  EXPECT_EQ(flat.node("p/add1")->inputs.at("a").str(), "src.out");
  EXPECT_EQ(flat.node("sum")->inputs.at("a").str(), "p/r.out");
  EXPECT_EQ(param_to_string(flat.node("p/add1")->params.at("bias")), "5");   // instance parameter
  EXPECT_EQ(param_to_string(flat.node("q/add1")->params.at("bias")), "10");  // the variable's default
  EXPECT_EQ(param_to_string(flat.node("src")->params.at("value")), "1");     // top-level variable
  EXPECT_FALSE(flat.uses_subgraph_features());

  Session s(reg);
  RunResult r = s.run(top);
  EXPECT_EQ(r.outputs.at("result").scalar(), 6.0 + 11.0);
  EXPECT_EQ(r.computed, 6u);
}

TEST_F(Subgraph, CachingStaysPerInnerNode) {
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  Session s(reg);
  s.run(top);
  counters.reset();
  // A parameter of one instance re-runs only that instance's chain and what follows.
  top.set_param("p", "bias", 7.0);
  RunResult r = s.run(top);
  EXPECT_EQ(r.outputs.at("result").scalar(), 8.0 + 11.0);
  EXPECT_EQ(status(r, "p/add1"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "p/r"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "q/add1"), NodeStatus::Cached);
  EXPECT_EQ(status(r, "q/r"), NodeStatus::Cached);
  EXPECT_EQ(status(r, "src"), NodeStatus::Cached);
  EXPECT_EQ(counters.count("q/add1"), 0);
  EXPECT_EQ(counters.count("p/add1"), 1);
  // A change that rounds to the same value stops at the instance's round node.
  top.set_param("p", "bias", 7.2);
  r = s.run(top);
  EXPECT_EQ(status(r, "p/add1"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "p/r"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "sum"), NodeStatus::Cached);
  // A top-level variable reaches everything downstream of the node using it.
  top.set_variable("start", std::int64_t{2});
  r = s.run(top);
  EXPECT_EQ(r.outputs.at("result").scalar(), 9.0 + 12.0);
  EXPECT_EQ(r.computed, 6u);
}

TEST_F(Subgraph, AnEditedSubgraphFileIsNoticedBetweenRuns) {
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  Session s(reg);
  EXPECT_EQ(s.run(top).outputs.at("result").scalar(), 17.0);
  std::string chain = kChain;
  chain.replace(chain.find("\"value\":10"), 10, "\"value\":20");
  write_text(tmp.path("chain.sumi.json"), chain);
  RunResult r = s.run(top);
  EXPECT_EQ(r.outputs.at("result").scalar(), 6.0 + 21.0);
  EXPECT_EQ(status(r, "q/add1"), NodeStatus::Computed);
  EXPECT_EQ(status(r, "p/add1"), NodeStatus::Cached);
}

TEST_F(Subgraph, NestedInstancesAndInterfaceInputsFeedingInstances) {
  // outer.sumi.json: its input feeds an inner chain instance; its own variable
  // is passed on to the chain's.
  std::filesystem::create_directories(tmp.path("sub"));
  write_text(tmp.path("sub/outer.sumi.json"), R"({"format":"sumi.graph","version":2,
    "variables":{"b":100},
    "interface":{"inputs":{"in":{"to":["c.x"]}}},
    "nodes":{"c":{"type":"subgraph","params":{"file":"../chain.sumi.json","bias":"$b"}}},
    "outputs":{"out":"c.y"}})");
  Graph g = parse_graph(R"({"format":"sumi.graph","version":2,"nodes":{
      "src":{"type":"test.source","params":{"value":2}},
      "o":{"type":"subgraph","in":{"in":"src.out"},"params":{"file":"sub/outer.sumi.json","b":1000}}},
      "outputs":{"v":"o.out"}})", tmp.path("nested.sumi.json"));
  g.base_dir = tmp.dir().string();
  EXPECT_EQ(errors_of(g), "");
  Graph flat = expand_graph(g, reg);
  ASSERT_TRUE(flat.node("o/c/add1"));
  EXPECT_EQ(flat.node("o/c/add1")->inputs.at("a").str(), "src.out");
  Session s(reg);
  EXPECT_EQ(s.run(g).outputs.at("v").scalar(), 1002.0);
}

TEST_F(Subgraph, ErrorsNameThePathThroughInstances) {
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  top.set_param("p", "bias", std::string("abc"));
  std::string e = errors_of(top);
  EXPECT_HAS(e, "top.sumi.json > p (chain.sumi.json): node 'p/add1' (test.add): param 'bias'");
  EXPECT_THROW(Session(reg).run(top), ValidationError);

  top = load_graph_file(tmp.path("top.sumi.json"));
  top.set_param("p", "bais", 1.0);
  e = errors_of(top);
  EXPECT_HAS(e, "node 'p' (subgraph): param 'bais': unknown parameter (did you mean 'bias'?)");
  EXPECT_HAS(e, "chain.sumi.json has parameters: bias, mode");

  top = load_graph_file(tmp.path("top.sumi.json"));
  top.link("src.out", "p.numbers");
  top.link("p.why", "sum.b");
  e = errors_of(top);
  EXPECT_HAS(e, "node 'p' (subgraph): port 'numbers': unknown input port; chain.sumi.json has inputs: x");
  EXPECT_HAS(e, "node 'sum' (test.add): port 'b': linked from 'p.why', but chain.sumi.json has no output 'why'");

  top = load_graph_file(tmp.path("top.sumi.json"));
  top.set_param("src", "value", std::string("$stat"));
  EXPECT_HAS(errors_of(top), "node 'src' (test.source): param 'value': unknown variable '$stat' (did you mean 'start'?)");

  top = load_graph_file(tmp.path("top.sumi.json"));
  top.set_param("q", "file", std::string("missing.sumi.json"));
  EXPECT_HAS(errors_of(top), "node 'q' (subgraph): param 'file': cannot load the subgraph");
  EXPECT_HAS(errors_of(top), "missing.sumi.json");

  // A required inner input left unconnected on the instance.
  top = load_graph_file(tmp.path("top.sumi.json"));
  top.unlink("q.x");
  EXPECT_HAS(errors_of(top), "top.sumi.json > q (chain.sumi.json): node 'q/add1' (test.add): port 'a': required input");
}

TEST_F(Subgraph, ReferenceCyclesAreErrorsNamingTheChain) {
  write_text(tmp.path("a.sumi.json"), R"({"format":"sumi.graph","version":2,"nodes":{
      "inner":{"type":"subgraph","params":{"file":"b.sumi.json"}}}})");
  write_text(tmp.path("b.sumi.json"), R"({"format":"sumi.graph","version":2,"nodes":{
      "back":{"type":"subgraph","params":{"file":"a.sumi.json"}}}})");
  Graph a = load_graph_file(tmp.path("a.sumi.json"));
  EXPECT_HAS(errors_of(a), "subgraph reference cycle: a.sumi.json > b.sumi.json > a.sumi.json");
  write_text(tmp.path("self.sumi.json"), R"({"format":"sumi.graph","version":2,"nodes":{
      "me":{"type":"subgraph","params":{"file":"./self.sumi.json"}}}})");
  EXPECT_HAS(errors_of(load_graph_file(tmp.path("self.sumi.json"))),
             "subgraph reference cycle: self.sumi.json > ./self.sumi.json");
  // A link cycle through an instance is a cycle too, not a hang.
  Graph top = load_graph_file(tmp.path("top.sumi.json"));
  top.link("q.y", "p.x");
  top.link("p.y", "q.x");
  EXPECT_HAS(errors_of(top), "a cycle through subgraph instance");
}

TEST_F(Subgraph, ExplosiveNestingIsRefused) {
  // Each level instantiates the next twice; 20 levels would be a million nodes.
  for (int i = 0; i < 20; ++i) {
    std::string next = "l" + std::to_string(i + 1) + ".sumi.json";
    std::string nodes = i == 19 ? R"("n":{"type":"test.source"})"
                                : R"("a":{"type":"subgraph","params":{"file":")" + next +
                                      R"("}},"b":{"type":"subgraph","params":{"file":")" + next + R"("}})";
    write_text(tmp.path("l" + std::to_string(i) + ".sumi.json"),
               R"({"format":"sumi.graph","version":2,"nodes":{)" + nodes + "}}");
  }
  std::vector<Error> errors = validate(load_graph_file(tmp.path("l0.sumi.json")), reg);
  ASSERT_EQ(errors.size(), 1u);  // reported once, then expansion stops
  EXPECT_HAS(std::string(errors[0].what()), "nested deeper than 16 levels");
  // Wide instead of deep: 200 instances of a file with 200 instances.
  std::string wide = R"({"format":"sumi.graph","version":2,"nodes":{)", leaf = wide;
  for (int i = 0; i < 200; ++i) {
    wide += std::string(i ? "," : "") + "\"w" + std::to_string(i) + R"(":{"type":"subgraph","params":{"file":"leaf.sumi.json"}})";
    leaf += std::string(i ? "," : "") + "\"n" + std::to_string(i) + R"(":{"type":"subgraph","params":{"file":"one.sumi.json"}})";
  }
  write_text(tmp.path("wide.sumi.json"), wide + "}}");
  write_text(tmp.path("leaf.sumi.json"), leaf + "}}");
  write_text(tmp.path("one.sumi.json"), R"({"format":"sumi.graph","version":1,"nodes":{"n":{"type":"test.source"}}})");
  errors = validate(load_graph_file(tmp.path("wide.sumi.json")), reg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_HAS(std::string(errors[0].what()), "expands to more than 20000");
}

TEST_F(Subgraph, VariablesLiteralDollarAndInterfaceChecks) {
  Graph g = parse_graph(R"({"format":"sumi.graph","version":2,"variables":{"m":"fancy"},"nodes":{
      "s":{"type":"test.source"},
      "a":{"type":"test.add","in":{"a":"s.out"},"params":{"mode":"$m"}},
      "b":{"type":"test.add","in":{"a":"s.out"},"params":{"mode":"$$plain"}}}})", "vars.sumi.json");
  Graph flat = expand_graph(g, reg);
  EXPECT_EQ(std::get<std::string>(flat.node("a")->params.at("mode")), "fancy");
  EXPECT_EQ(std::get<std::string>(flat.node("b")->params.at("mode")), "$plain");  // then refused as not a choice
  EXPECT_HAS(errors_of(g), "node 'b' (test.add): param 'mode'");
  // A subgraph file validates on its own: its interface inputs count as connected.
  EXPECT_EQ(errors_of(load_graph_file(tmp.path("chain.sumi.json"))), "");
  Graph chain = load_graph_file(tmp.path("chain.sumi.json"));
  chain.set_interface_input("w", {"r.nope"});
  EXPECT_HAS(errors_of(chain), "node 'r' (test.round): port 'nope': interface input 'w' feeds an unknown input port");
  EXPECT_SUMI_ERROR(chain.set_interface_input("v", {"ghost.in"}), "node 'ghost'");
}

TEST_F(Subgraph, SubgraphFilesOutsideTheSandboxAreNotRead) {
  std::filesystem::create_directories(tmp.path("inside"));
  std::string text = kTop;
  for (auto at = text.find("\"chain.sumi.json\""); at != std::string::npos; at = text.find("\"chain.sumi.json\"", at + 4))
    text.replace(at, 1, "\"../");
  write_text(tmp.path("inside/top.sumi.json"), text);
  Graph top = load_graph_file(tmp.path("inside/top.sumi.json"));
  auto box = std::make_shared<Sandbox>();
  box->allow(tmp.path("inside"), Sandbox::kRead | Sandbox::kWrite);
  std::string e;
  for (const Error& err : validate(top, reg, box.get())) e += err.what();
  EXPECT_HAS(e, "node 'p' (subgraph): param 'file': ");
  EXPECT_HAS(e, "outside the sandbox");
  RunOptions opts;
  opts.sandbox = box;
  Session s(reg);
  EXPECT_THROW(s.run(top, opts), ValidationError);
  // A plan compiled without the sandbox is checked when run with it.
  auto plan = compile(top, reg);
  ASSERT_EQ(plan->subgraph_files.size(), 1u);
  EXPECT_THROW(s.run(plan, opts), SandboxError);
  EXPECT_EQ(counters.total(), 0);
}

TEST_F(Subgraph, DotDrawsInstancesAsClusters) {
  const std::string dot = graph_to_dot(load_graph_file(tmp.path("top.sumi.json")));
  EXPECT_HAS(dot, "subgraph \"cluster_0\" {");
  EXPECT_HAS(dot, "label=\"p (chain.sumi.json)\"");
  EXPECT_HAS(dot, "label=\"q (chain.sumi.json)\"");
  EXPECT_HAS(dot, "\"p/add1\" [label=\"add1\\ntest.add\"]");
  EXPECT_HAS(dot, "\"src\" -> \"p/add1\"");
  EXPECT_HAS(dot, "\"p/r\" -> \"sum\"");
}

TEST_F(Subgraph, InterfaceIsDescribedWithKinds) {
  SubgraphInterface in = describe_interface(load_graph_file(tmp.path("chain.sumi.json")), reg);
  ASSERT_EQ(in.inputs.size(), 1u);
  EXPECT_EQ(in.inputs[0].name, "x");
  EXPECT_EQ(in.inputs[0].kind, "Scalar");
  EXPECT_EQ(in.inputs[0].doc, "the number");
  ASSERT_EQ(in.outputs.size(), 1u);
  EXPECT_EQ(in.outputs[0].kind, "Scalar");
  ASSERT_EQ(in.params.size(), 2u);
  EXPECT_EQ(in.params[0].name, "bias");
  EXPECT_EQ(in.params[0].uses, std::vector<std::string>{"add1.bias"});  // for a control of add1.bias's type
}

// A subgraph's outputs are optional: an instance that runs is not reported for
// the nodes behind its unused outputs; an instance nothing reads is.
TEST_F(Subgraph, NeverRunNodesSkipUnusedOutputsOfRunningInstances) {
  write_text(tmp.path("two.sumi.json"), R"({"format":"sumi.graph","version":2,"name":"two",
    "interface":{"inputs":{"x":{"to":["a.a","b.a"]}}},
    "nodes":{"a":{"type":"test.add"},"b":{"type":"test.add"}},
    "outputs":{"first":"a.out","second":"b.out"}})");
  write_text(tmp.path("use.sumi.json"), R"({"format":"sumi.graph","version":2,"name":"use",
    "nodes":{"src":{"type":"test.source"},
             "used":{"type":"subgraph","in":{"x":"src.out"},"params":{"file":"two.sumi.json"}},
             "idle":{"type":"subgraph","in":{"x":"src.out"},"params":{"file":"two.sumi.json"}},
             "end":{"type":"test.round","in":{"in":"used.first"}}},
    "outputs":{"y":"end.out"}})");
  auto plan = compile(load_graph_file(tmp.path("use.sumi.json")), reg);
  EXPECT_EQ(never_run_nodes(*plan), (std::vector<std::string>{"idle/a", "idle/b"}));
}

// The shipped example, through the command line: validate, run with a
// variable set, dot, and an error inside an instance.
TEST(SubgraphCli, ValidateRunSetAndDot) {
  TempDir tmp;
  const std::string graph = source_path("examples/subgraphs/sketch_styles.sumi.json");
  CliResult r = run_cli(SUMI_CLI, "validate " + graph);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "ok (4 nodes, 3 links, 3 outputs; 6 nodes with 2 subgraph instances expanded)");
  r = run_cli(SUMI_CLI, "run " + graph + " --set size=96 --set bold.level=0.95 --out " + tmp.path("o") + " --profile");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "bold/threshold");
  EXPECT_HAS(r.out, "medium/blur");
  cv::Mat bold = cv::imread(tmp.path("o/bold.png"), cv::IMREAD_GRAYSCALE);
  cv::Mat medium = cv::imread(tmp.path("o/medium.png"), cv::IMREAD_GRAYSCALE);
  cv::Mat sketch = cv::imread(tmp.path("o/sketch.png"), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(bold.empty());
  EXPECT_EQ(std::max(bold.rows, bold.cols), 96);  // the variable reached the rasteriser
  // Thicker lines: more ink in "bold" (sigma 3) than in "medium" (sigma 1.5) than in the sketch.
  EXPECT_GT(cv::countNonZero(bold < 128), cv::countNonZero(medium < 128));
  EXPECT_GT(cv::countNonZero(medium < 128), cv::countNonZero(sketch < 128));

  r = run_cli(SUMI_CLI, "run " + graph + " --set sise=96 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "the graph has no variable 'sise' (did you mean 'size'?)");
  r = run_cli(SUMI_CLI, "run " + graph + " --set bold.sigma=-4 --out " + tmp.path("o"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "sketch_styles.sumi.json > bold (bold_lines.sumi.json): node 'bold/blur' (image.blur): param 'sigma'");

  r = run_cli(SUMI_CLI, "dot " + graph);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "label=\"bold (bold_lines.sumi.json)\"");
  EXPECT_HAS(r.out, "\"sketch\" -> \"bold/blur\"");
}

}  // namespace
}  // namespace sumi::test
