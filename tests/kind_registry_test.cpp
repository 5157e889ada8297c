// Value kinds registered by node libraries and plugins (engine/kind_registry.h):
// names and origins, refusals, tensor values of the new kind with their own
// hash, graph checks that keep the kinds apart, and a run through them.
#include <torch/torch.h>

#include "engine/kind_registry.h"
#include "engine/node_context.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "engine/tensor.h"
#include "engine/validate.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

ValueKind depth_kind() {
  static const ValueKind k = register_tensor_kind({"TestDepth", "per-pixel depth, N x 1 x H x W", "#4f8f6b", "kind test"});
  return k;
}

TEST(KindRegistry, RegistersNamedKindsThatResolveEverywhere) {
  const ValueKind k = depth_kind();
  EXPECT_TRUE(is_registered_kind(k));
  EXPECT_FALSE(is_registered_kind(ValueKind::Features));
  EXPECT_EQ(kind_name(k), "TestDepth");
  ValueKind parsed;
  ASSERT_TRUE(parse_kind("TestDepth", parsed));
  EXPECT_EQ(parsed, k);
  EXPECT_EQ(kind_info(k).colour, "#4f8f6b");
  EXPECT_EQ(kind_info(k).origin, "kind test");
  EXPECT_EQ(kind_info(ValueKind::Features).name, "Features");
  EXPECT_EQ(kind_info(ValueKind::Features).origin, "built-in");
  const auto all = all_kinds();
  EXPECT_EQ(all.front(), ValueKind::Strokes);
  EXPECT_NE(std::find(all.begin(), all.end(), ValueKind::Frame), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), k), all.end());
  // The same name from the same origin is the same kind (a plugin loaded into a second registry).
  EXPECT_EQ(register_tensor_kind({"TestDepth", "", "", "kind test"}), k);
  // An id nothing registered is named, not a crash.
  EXPECT_EQ(kind_name(static_cast<ValueKind>(250)), "Kind#250");
}

TEST(KindRegistry, RefusesTakenBadAndBuiltInNames) {
  depth_kind();
  EXPECT_SUMI_ERROR(register_tensor_kind({"TestDepth", "", "", "another plugin"}), "'TestDepth' is already defined by kind test",
                    "another plugin");
  EXPECT_SUMI_ERROR(register_tensor_kind({"Image", "", "", "x"}), "'Image' is a built-in kind");
  EXPECT_SUMI_ERROR(register_tensor_kind({"9lives", "", "", "x"}), "must start with a letter");
  EXPECT_SUMI_ERROR(register_tensor_kind({"has space", "", "", "x"}), "must start with a letter");
  EXPECT_SUMI_ERROR(register_tensor_kind({"Colourful", "", "red", "x"}), "#rrggbb");
  {
    const KindOriginScope scope("/plugins/fx_depth.so");  // what the plugin loader sets while a plugin registers
    const ValueKind k = register_tensor_kind({"TestPluginKind", "", "", "ignored"});
    EXPECT_EQ(kind_info(k).origin, "/plugins/fx_depth.so");
  }
}

TEST(KindRegistry, ValuesOfARegisteredKindAreTensorsWithTheirOwnHash) {
  const at::Tensor t = torch::rand({1, 1, 4, 5});
  const Value depth = make_tensor_value(depth_kind(), t);
  EXPECT_EQ(depth.kind(), depth_kind());
  EXPECT_TRUE(torch::equal(depth.tensor(), t));
  EXPECT_NE(depth.hash(), make_tensor_value(ValueKind::Features, t).hash()) << "the kind is part of the content hash";
  EXPECT_EQ(depth.hash(), make_tensor_value(depth_kind(), t.clone()).hash());
  EXPECT_NE(depth.describe().find("TestDepth"), std::string::npos) << depth.describe();
  EXPECT_SUMI_ERROR(make_tensor_value(depth_kind(), torch::zeros({})), "TestDepth", "at least one dimension");
  EXPECT_SUMI_ERROR(depth.scalar(), "expected a Scalar value, got TestDepth");
}

// test.depth makes a TestDepth from a Scalar; test.depth_mean reads one back.
void register_depth_nodes(Registry& reg) {
  NodeDescriptor make;
  make.id = "test.depth";
  make.doc = "a constant depth map";
  make.inputs = {PortSpec::in("value", ValueKind::Scalar, "depth everywhere")};
  make.outputs = {PortSpec::out("depth", depth_kind(), "2 x 2 depth map")};
  make.compute = [](NodeContext& ctx) {
    ctx.set_output("depth", make_tensor_value(depth_kind(), torch::full({1, 1, 2, 2}, ctx.input("value").scalar())));
  };
  reg.add(make);
  NodeDescriptor mean;
  mean.id = "test.depth_mean";
  mean.doc = "mean depth";
  mean.inputs = {PortSpec::in("depth", depth_kind(), "a depth map")};
  mean.outputs = {PortSpec::out("mean", ValueKind::Scalar, "its mean")};
  mean.compute = [](NodeContext& ctx) {
    ctx.set_output("mean", Value::make_scalar(ctx.input("depth").tensor().mean().item<double>()));
  };
  reg.add(mean);
  NodeDescriptor features;
  features.id = "test.features_sink";
  features.doc = "takes Features";
  features.inputs = {PortSpec::in("features", ValueKind::Features, "feature maps")};
  features.outputs = {PortSpec::out("out", ValueKind::Scalar, "0")};
  features.compute = [](NodeContext& ctx) { ctx.set_output("out", Value::make_scalar(0)); };
  reg.add(features);
  NodeDescriptor source;
  source.id = "test.number";
  source.doc = "a number";
  source.outputs = {PortSpec::out("out", ValueKind::Scalar, "2.5")};
  source.compute = [](NodeContext& ctx) { ctx.set_output("out", Value::make_scalar(2.5)); };
  reg.add(source);
}

TEST(KindRegistry, GraphsRunThroughARegisteredKindAndKeepItApartFromOthers) {
  Registry reg;
  register_depth_nodes(reg);
  Graph g;
  g.add_node("n", "test.number");
  g.add_node("d", "test.depth");
  g.add_node("m", "test.depth_mean");
  g.link("n.out", "d.value");
  g.link("d.depth", "m.depth");
  g.set_output("mean", "m.mean");
  EXPECT_TRUE(validate(g, reg).empty());
  Session s{reg};
  EXPECT_DOUBLE_EQ(s.run(g).outputs.at("mean").scalar(), 2.5);

  // A TestDepth output does not feed a Features input, though both are tensors.
  g.add_node("f", "test.features_sink");
  g.link("d.depth", "f.features");
  const auto problems = validate(g, reg);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(std::string(problems[0].what()).find("TestDepth"), std::string::npos) << problems[0].what();
  EXPECT_NE(std::string(problems[0].what()).find("Features"), std::string::npos) << problems[0].what();
}

}  // namespace
}  // namespace sumi::test
