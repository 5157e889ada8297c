// Validation: every kind of problem is found before running, and each
// message names the file, the node and the port or parameter.
#include "engine/graph_file.h"
#include "engine/plan.h"
#include "engine/validate.h"
#include "tests/stub_nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

class Validation : public ::testing::Test {
 protected:
  Validation() { register_stub_nodes(reg, counters); }

  // The single error validate() reports for the graph described by `nodes`.
  std::string only_error(const std::string& nodes, const std::string& outputs = "{}") {
    Graph g = parse_graph(R"({"format":"sumi.graph","version":1,"nodes":)" + nodes + R"(,"outputs":)" + outputs + "}",
                          "v.sumi.json");
    auto errors = validate(g, reg);
    EXPECT_EQ(errors.size(), 1u);
    return errors.empty() ? std::string() : std::string(errors.front().what());
  }

  StubCounters counters;
  Registry reg;
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(Validation, UnknownNodeTypeSuggestsCloseName) {
  auto e = only_error(R"({"a":{"type":"test.sorce"}})");
  EXPECT_HAS(e, "v.sumi.json");
  EXPECT_HAS(e, "node 'a'");
  EXPECT_HAS(e, "unknown node type 'test.sorce'");
  EXPECT_HAS(e, "did you mean 'test.source'");
}

TEST_F(Validation, UnknownInputPort) {
  auto e = only_error(R"({"a":{"type":"test.source"},"b":{"type":"test.add","in":{"a":"a.out","c":"a.out"}}})");
  EXPECT_HAS(e, "node 'b' (test.add)");
  EXPECT_HAS(e, "port 'c'");
  EXPECT_HAS(e, "unknown input port");
}

TEST_F(Validation, UnknownSourceNodeAndPort) {
  auto e = only_error(R"({"b":{"type":"test.add","in":{"a":"ghost.out"}}})");
  EXPECT_HAS(e, "node 'b'");
  EXPECT_HAS(e, "port 'a'");
  EXPECT_HAS(e, "no node 'ghost'");
  e = only_error(R"({"a":{"type":"test.source"},"b":{"type":"test.add","in":{"a":"a.value"}}})");
  EXPECT_HAS(e, "port 'a'");
  EXPECT_HAS(e, "test.source has no output 'value'");
}

TEST_F(Validation, TypeMismatchNamesBothEnds) {
  Registry r;
  register_stub_nodes(r, counters);
  NodeDescriptor img;
  img.id = "test.image_sink";
  img.inputs = {PortSpec::in("image", ValueKind::Image, "an image")};
  img.compute = [](NodeContext&) {};
  r.add(img);
  Graph g = parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"a":{"type":"test.source"},
      "s":{"type":"test.image_sink","in":{"image":"a.out"}}}})", "t.sumi.json");
  auto errors = validate(g, r);
  ASSERT_EQ(errors.size(), 1u);
  std::string e = errors.front().what();
  EXPECT_HAS(e, "node 's' (test.image_sink)");
  EXPECT_HAS(e, "port 'image'");
  EXPECT_HAS(e, "type mismatch: 'a.out' is Scalar, input expects Image");
}

TEST_F(Validation, MissingRequiredInput) {
  auto e = only_error(R"({"b":{"type":"test.add"}})");
  EXPECT_HAS(e, "node 'b'");
  EXPECT_HAS(e, "port 'a'");
  EXPECT_HAS(e, "required input is not connected");
}

TEST_F(Validation, OptionalInputMayStayOpen) {
  Graph g = parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"a":{"type":"test.source"},
      "b":{"type":"test.add","in":{"a":"a.out"}}}})");
  EXPECT_TRUE(validate(g, reg).empty());
}

TEST_F(Validation, ParameterOfWrongTypeOrOutOfRange) {
  const std::string pre = R"({"a":{"type":"test.source"},"b":{"type":"test.add","in":{"a":"a.out"},"params":)";
  auto e = only_error(pre + R"({"count":"three"}}})");
  EXPECT_HAS(e, "node 'b'");
  EXPECT_HAS(e, "param 'count'");
  EXPECT_HAS(e, "expected int");
  e = only_error(pre + R"({"count":11}}})");
  EXPECT_HAS(e, "param 'count'");
  EXPECT_HAS(e, "11 is above the maximum 10");
  e = only_error(pre + R"({"count":2.5}}})");
  EXPECT_HAS(e, "expected an integer");
  e = only_error(pre + R"({"mode":"weird"}}})");
  EXPECT_HAS(e, "param 'mode'");
  EXPECT_HAS(e, "not one of plain fancy");
  e = only_error(pre + R"({"window":[1,2]}}})");
  EXPECT_HAS(e, "param 'window'");
  EXPECT_HAS(e, "expected 3 numbers");
  e = only_error(pre + R"({"bais":1}}})");
  EXPECT_HAS(e, "param 'bais'");
  EXPECT_HAS(e, "did you mean 'bias'");
  // An integral value is fine for a float parameter, and 3.0 for an int one.
  Graph ok = parse_graph(R"({"format":"sumi.graph","version":1,"nodes":)" + pre +
                         R"({"bias":2,"count":3.0}}}})");
  EXPECT_TRUE(validate(ok, reg).empty());
}

TEST_F(Validation, CycleIsNamed) {
  auto e = only_error(R"({"a":{"type":"test.add","in":{"a":"c.out"}},"b":{"type":"test.add","in":{"a":"a.out"}},
                          "c":{"type":"test.add","in":{"a":"b.out"}}})");
  EXPECT_HAS(e, "cycle: a -> b -> c -> a");
  e = only_error(R"({"self":{"type":"test.add","in":{"a":"self.out"}}})");
  EXPECT_HAS(e, "cycle: self -> self");
}

TEST_F(Validation, GraphOutputMustExist) {
  auto e = only_error(R"({"a":{"type":"test.source"}})", R"({"result":"a.nothing"})");
  EXPECT_HAS(e, "port 'result'");
  EXPECT_HAS(e, "has no output 'nothing'");
}

TEST_F(Validation, AllProblemsAreReportedTogetherByCompile) {
  Graph g = parse_graph(R"({"format":"sumi.graph","version":1,"nodes":{"a":{"type":"nope.x"},
      "b":{"type":"test.add"}}})", "many.sumi.json");
  try {
    compile(g, reg);
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.errors().size(), 2u);
    EXPECT_HAS(std::string(e.what()), "unknown node type 'nope.x'");
    EXPECT_HAS(std::string(e.what()), "required input is not connected");
  }
}

TEST_F(Validation, RegistryRejectsBadDescriptors) {
  NodeDescriptor d;
  d.id = "nodot";
  d.compute = [](NodeContext&) {};
  EXPECT_SUMI_ERROR(reg.add(d), "domain.name");
  d.id = "test.source";
  EXPECT_SUMI_ERROR(reg.add(d), "already registered");
  d.id = "test.badparam";
  d.params = {ParamSpec::integer("n", 50, "x").range(0, 10)};
  EXPECT_SUMI_ERROR(reg.add(d), "param 'n'", "invalid default");
}

}  // namespace
}  // namespace sumi::test
