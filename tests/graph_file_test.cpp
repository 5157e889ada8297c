// Graph files: round trip, structure errors with file/line/column, versions.
#include <sys/stat.h>

#include <fstream>

#include "engine/atomic_file.h"
#include "engine/graph_file.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

Graph sample_graph() {
  Graph g;
  g.name = "sample";
  g.doc = "a test graph";
  g.add_node("a", "test.source");
  g.add_node("b", "test.add");
  g.add_node("c", "test.round");
  g.link("a.out", "b.a");
  g.link("b.out", "c.in");
  g.set_param("a", "value", 2.5);
  g.set_param("b", "count", std::int64_t{3});
  g.set_param("b", "mode", std::string("fancy"));
  g.set_param("b", "window", std::vector<double>{4, 5, 6});
  g.set_param("b", "flag", true);
  g.set_output("result", "c.out");
  g.layout_json = R"({"a":[10,20],"b":[200,20]})";
  return g;
}

TEST(GraphFile, RoundTripIsExact) {
  TempDir tmp;
  Graph g = sample_graph();
  save_graph_file(g, tmp.path("g.sumi.json"));
  Graph back = load_graph_file(tmp.path("g.sumi.json"));
  EXPECT_TRUE(back.same_semantics(g));
  EXPECT_EQ(back.layout_json, g.layout_json);
  // save(load(file)) reproduces the file byte for byte.
  save_graph_file(back, tmp.path("again.sumi.json"));
  EXPECT_EQ(read_file(tmp.path("g.sumi.json")), read_file(tmp.path("again.sumi.json")));
}

TEST(GraphFile, KeysAreWrittenInStableOrder) {
  std::string text = graph_to_json(sample_graph());
  EXPECT_LT(text.find("\"format\""), text.find("\"version\""));
  EXPECT_LT(text.find("\"version\""), text.find("\"nodes\""));
  EXPECT_LT(text.find("\"nodes\""), text.find("\"outputs\""));
  EXPECT_LT(text.find("\"outputs\""), text.find("\"layout\""));
  EXPECT_LT(text.find("\"a\": {"), text.find("\"b\": {"));
  EXPECT_NE(text.find("\"window\": [4, 5, 6]"), std::string::npos) << text;
}

TEST(GraphFile, ShippedGraphsRoundTrip) {
  for (const char* name : {"graphs/sketch_parts.sumi.json"}) {
    std::string text = read_file(source_path(name));
    Graph g = parse_graph(text, name);
    EXPECT_EQ(graph_to_json(g), text) << name << " is not in canonical form";
  }
}

TEST(GraphFile, MalformedJsonNamesLineAndColumn) {
  EXPECT_SUMI_ERROR(parse_graph("{\n  \"format\": \"sumi.graph\",\n  \"version\": 1,,\n}", "bad.sumi.json"),
                    "bad.sumi.json", "malformed JSON at line 3, column 16");
}

TEST(GraphFile, NewerVersionIsRefused) {
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":7,"nodes":{}})", "new.sumi.json"), "new.sumi.json",
                    "file version 7 is newer");
}

TEST(GraphFile, DuplicateNodeIdIsNamed) {
  const char* text = R"({"format":"sumi.graph","version":1,"nodes":{
      "a":{"type":"test.source"}, "b":{"type":"test.source"}, "a":{"type":"test.add"}}})";
  EXPECT_SUMI_ERROR(parse_graph(text, "dup.sumi.json"), "dup.sumi.json", "node 'a'", "duplicate node id");
  Graph g;
  g.add_node("a", "test.source");
  EXPECT_SUMI_ERROR(g.add_node("a", "test.add"), "node 'a'", "duplicate node id");
}

TEST(GraphFile, StructuralErrorsNameTheNode) {
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"other","version":1,"nodes":{}})", "x.json"), "not a Sumi graph file");
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"n":{"typo":"x"}}})", "x.json"),
                    "node 'n'", "unknown field 'typo'");
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"n":{"type":"t.x","in":{"p":"nodot"}}}})", "x.json"),
                    "node 'n'", "port 'p'", "\"node.port\"");
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"n":{"type":"t.x","params":{"p":{"a":1}}}}})", "x.json"),
                    "node 'n'", "param 'p'", "unsupported parameter value");
  EXPECT_SUMI_ERROR(load_graph_file("/nonexistent/graph.sumi.json"), "/nonexistent/graph.sumi.json", "file not found");
}

TEST(GraphFile, OutputNamesAndNodeIdsArePlainNames) {
  // Output names become OUT/<name>.png: a name that climbs out of the output folder is refused at load.
  for (const char* name : {"../escaped", "/tmp/abs", "", "a.b", "sub/x"}) {
    const std::string text = std::string(R"({"format":"sumi.graph","version":1,"nodes":{"n":{"type":"t.x"}},"outputs":{")") +
                             name + R"(":"n.out"}})";
    EXPECT_SUMI_ERROR(parse_graph(text, "out.sumi.json"), "out.sumi.json", "may use letters, digits, '_' and '-' only");
  }
  EXPECT_SUMI_ERROR(parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"":{"type":"t.x"}}})", "id.sumi.json"),
                    "id.sumi.json", "node ids may use letters, digits");
}

TEST(GraphFile, DevicesFifosAndHugeFilesAreRefusedBeforeReading) {
  EXPECT_SUMI_ERROR(load_graph_file("/dev/zero"), "/dev/zero", "not a regular file");
  TempDir tmp;
  ASSERT_EQ(mkfifo(tmp.path("fifo").c_str(), 0600), 0);
  EXPECT_SUMI_ERROR(load_graph_file(tmp.path("fifo")), "fifo", "not a regular file");  // would block forever
  write_text(tmp.path("big.txt"), std::string(3000, 'x'));
  EXPECT_SUMI_ERROR(read_file(tmp.path("big.txt"), 1000), "big.txt", "more than the 1 MB Sumi reads");
  EXPECT_EQ(read_file(tmp.path("big.txt")).size(), 3000u);
}

TEST(GraphFile, AtomicSaveLeavesNoTemporaryAndKeepsOldFileOnFailure) {
  TempDir tmp;
  save_graph_file(sample_graph(), tmp.path("g.sumi.json"));
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.dir())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_SUMI_ERROR(save_graph_file(sample_graph(), tmp.path("missing-folder/g.sumi.json")), "missing-folder",
                    "does not exist");
}

TEST(GraphFile, EditingOperationsKeepLinksConsistent) {
  Graph g = sample_graph();
  const auto rev = g.revision();
  g.remove_node("b");
  EXPECT_GT(g.revision(), rev);
  EXPECT_EQ(g.node("c")->inputs.count("in"), 0u);
  EXPECT_EQ(g.outputs().count("result"), 1u);
  g.remove_node("c");
  EXPECT_EQ(g.outputs().count("result"), 0u);
  Graph copy = g;
  EXPECT_NE(copy.uid(), g.uid());
  EXPECT_SUMI_ERROR(g.link("zz.out", "a.in"), "node 'zz'", "no such node");
}

}  // namespace
}  // namespace sumi::test
