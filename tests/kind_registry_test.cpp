// Value kinds registered by node libraries and plugins (engine/kind_registry.h):
// names and origins, refusals, tensor values of the new kind with their own
// hash, record kinds (checked JSON documents), graph checks that keep the
// kinds apart, and runs through them.
#include <atomic>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "engine/hash.h"
#include "engine/kind_registry.h"
#include "engine/node_context.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "engine/tensor.h"
#include "engine/validate.h"
#include "nodes/common/part_set.h"
#include "nodes/common/strokes.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/synth/features_kind.h"
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
  EXPECT_FALSE(is_registered_kind(ValueKind::Image));
  EXPECT_EQ(kind_name(k), "TestDepth");
  ValueKind parsed;
  ASSERT_TRUE(parse_kind("TestDepth", parsed));
  EXPECT_EQ(parsed, k);
  EXPECT_EQ(kind_info(k).colour, "#4f8f6b");
  EXPECT_EQ(kind_info(k).origin, "kind test");
  EXPECT_EQ(kind_info(ValueKind::Image).name, "Image");
  EXPECT_EQ(kind_info(ValueKind::Image).origin, "built-in");
  const auto all = all_kinds();
  EXPECT_EQ(all.front(), ValueKind::Image);
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
  EXPECT_NE(depth.hash(), make_features(t).hash()) << "the kind is part of the content hash";
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
  features.inputs = {PortSpec::in("features", features_kind(), "feature maps")};
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

// A record kind with a check: {"colours": ["#rrggbb", ...]}, written lower-case.
ValueKind palette_kind() {
  static const ValueKind k = [] {
    RecordKindHooks hooks;
    hooks.normalise = [](const nlohmann::json& doc) {
      if (!doc.is_object() || !doc.contains("colours") || !doc["colours"].is_array())
        throw Error("a TestPalette needs \"colours\": a list of #rrggbb");
      nlohmann::json out = {{"colours", nlohmann::json::array()}};
      for (const auto& c : doc["colours"]) {
        if (!c.is_string() || c.get<std::string>().size() != 7) throw Error("a TestPalette colour is #rrggbb, got " + c.dump());
        std::string v = c.get<std::string>();
        for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out["colours"].push_back(v);
      }
      return out;
    };
    hooks.describe = [](const nlohmann::json& doc) { return std::to_string(doc["colours"].size()) + " colours"; };
    return register_record_kind({"TestPalette", "named colours", "#c08040", "kind test"}, std::move(hooks));
  }();
  return k;
}

// The latent and synth libraries own Latent and Features as registered tensor kinds with declared ranks.
TEST(KindRegistry, LibraryTensorKindsDeclareTheirShapes) {
  for (const ValueKind k : {latent_kind(), features_kind()}) {
    EXPECT_TRUE(is_registered_kind(k) && is_tensor_kind(k) && !is_record_kind(k)) << kind_name(k);
    EXPECT_EQ(kind_info(k).origin, "built-in");
  }
  ValueKind parsed;
  ASSERT_TRUE(parse_kind("Latent", parsed));
  EXPECT_EQ(parsed, latent_kind());
  EXPECT_EQ(make_latent(torch::zeros({1, 8})).kind(), latent_kind());
  EXPECT_EQ(make_latent(torch::zeros({1, 12, 8})).tensor().dim(), 3) << "a W+ code";
  EXPECT_SUMI_ERROR(make_latent(torch::zeros({1, 1, 4, 4})), "a Latent needs shape N x D or N x L x D, got [1, 1, 4, 4]");
  EXPECT_SUMI_ERROR(make_features(torch::zeros({1, 8})), "a Features needs shape N x C x H x W, got [1, 8]");
  EXPECT_NE(make_latent(torch::zeros({1, 4})).hash(), make_tensor_value(depth_kind(), torch::zeros({1, 4})).hash());
  // A plugin kind declares ranks the same way; without a doc the rank is named.
  const ValueKind pair = register_tensor_kind({"TestPair", "", "", "kind test"}, {{2}, ""});
  EXPECT_SUMI_ERROR(make_tensor_value(pair, torch::zeros({3})), "a TestPair needs shape 2 dimensions, got [3]");
  EXPECT_EQ(tensor_kind_shape(pair)->ranks, std::vector<int>{2});
  EXPECT_EQ(tensor_kind_shape(ValueKind::Image), nullptr);
}

TEST(KindRegistry, RecordKindsHoldCheckedJsonDocuments) {
  const ValueKind k = palette_kind();
  EXPECT_TRUE(is_record_kind(k));
  EXPECT_FALSE(is_tensor_kind(k));
  EXPECT_FALSE(is_record_kind(depth_kind()));
  EXPECT_TRUE(is_tensor_kind(depth_kind()));
  EXPECT_FALSE(is_record_kind(ValueKind::String));

  const Value a = Value::make_record(k, {{"colours", {"#FF0000", "#00ff00"}}});
  EXPECT_EQ(a.record()["colours"][0], "#ff0000") << "normalised";
  EXPECT_EQ(a.hash(), Value::make_record(k, {{"colours", {"#ff0000", "#00FF00"}}}).hash()) << "hash of the canonical form";
  EXPECT_NE(a.hash(), Value::make_record(k, {{"colours", {"#ff0000"}}}).hash());
  EXPECT_EQ(a.describe(), "TestPalette 2 colours");
  EXPECT_SUMI_ERROR(Value::make_record(k, {{"colours", {"red"}}}), "a TestPalette colour is #rrggbb, got \"red\"");
  EXPECT_SUMI_ERROR(Value::make_record(ValueKind::String, nlohmann::json::object()), "String is not a record kind");
  EXPECT_SUMI_ERROR(Value::make_record(depth_kind(), nlohmann::json::object()), "TestDepth is not a record kind");
  EXPECT_SUMI_ERROR(make_tensor_value(k, torch::zeros({2})), "TestPalette is not a tensor kind");
  EXPECT_SUMI_ERROR(a.tensor(), "expected");
  EXPECT_SUMI_ERROR(Value::make_int(3).record(), "expected a record value, got Int");

  // Without hooks: any JSON object, its keys in one order whatever order they were given in.
  const ValueKind any = register_record_kind({"TestNotes", "", "", "kind test"});
  nlohmann::json one = nlohmann::json::object(), two = nlohmann::json::object();
  one["b"] = 1;
  one["a"] = "x";
  two["a"] = "x";
  two["b"] = 1;
  EXPECT_EQ(Value::make_record(any, one).hash(), Value::make_record(any, two).hash());
  EXPECT_NE(Value::make_record(any, one).hash(), Value::make_record(k, {{"colours", nlohmann::json::array()}}).hash());
  EXPECT_SUMI_ERROR(Value::make_record(any, nlohmann::json::array({1, 2})), "a TestNotes must be a JSON object, not array");
  const Value long_doc = Value::make_record(any, {{"text", std::string(200, 'z')}});
  EXPECT_LE(long_doc.describe().size(), 100u) << "shortened";
  EXPECT_SUMI_ERROR(Value::make_record(any, {{"bad", std::string("\xff\xfe")}}), "not UTF-8");
  EXPECT_SUMI_ERROR(Value::make_record(any, {{"x", {1.0, std::nan("")}}}), "a TestNotes holds NaN or an infinity");
  EXPECT_SUMI_ERROR(Value::make_record(any, {{"x", {{"y", HUGE_VAL}}}}), "NaN or an infinity");

  // A name keeps its storage: registering it again as the other storage is refused.
  EXPECT_EQ(register_record_kind({"TestNotes", "", "", "kind test"}), any);
  EXPECT_SUMI_ERROR(register_tensor_kind({"TestNotes", "", "", "kind test"}), "already registered as a record kind");
  EXPECT_SUMI_ERROR(register_record_kind({"TestDepth", "", "", "kind test"}), "already registered as a tensor kind");
}

TEST(KindRegistry, GraphsRunThroughARecordKindAndCacheIt) {
  Registry reg;
  register_depth_nodes(reg);
  static std::atomic<int> counted{0};
  counted = 0;
  NodeDescriptor make;
  make.id = "test.palette";
  make.doc = "one colour per 1 of the input, in upper case";
  make.inputs = {PortSpec::in("n", ValueKind::Scalar, "how many")};
  make.outputs = {PortSpec::out("palette", palette_kind(), "the palette")};
  make.compute = [](NodeContext& ctx) {
    nlohmann::json colours = nlohmann::json::array();
    for (int i = 0; i < static_cast<int>(ctx.input("n").scalar()); ++i) colours.push_back("#ABCDEF");
    ctx.set_output("palette", Value::make_record(palette_kind(), {{"colours", colours}}));
  };
  reg.add(make);
  NodeDescriptor count;
  count.id = "test.palette_size";
  count.doc = "how many colours";
  count.inputs = {PortSpec::in("palette", palette_kind(), "a palette")};
  count.outputs = {PortSpec::out("size", ValueKind::Int, "its size")};
  count.compute = [](NodeContext& ctx) {
    ++counted;
    ctx.set_output("size", Value::make_int(static_cast<std::int64_t>(ctx.input("palette").record()["colours"].size())));
  };
  reg.add(count);
  Graph g;
  g.add_node("n", "test.number");  // 2.5 -> two colours
  g.add_node("p", "test.palette");
  g.add_node("c", "test.palette_size");
  g.link("n.out", "p.n");
  g.link("p.palette", "c.palette");
  g.set_output("size", "c.size");
  EXPECT_TRUE(validate(g, reg).empty());
  Session s{reg};
  EXPECT_EQ(s.run(g).outputs.at("size").integer(), 2);
  EXPECT_EQ(counted, 1);
  EXPECT_EQ(s.run(g).outputs.at("size").integer(), 2);
  EXPECT_EQ(counted, 1) << "cached";
  // A record output does not feed a tensor input.
  g.add_node("m", "test.depth_mean");
  g.link("p.palette", "m.depth");
  const auto problems = validate(g, reg);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(std::string(problems[0].what()).find("TestPalette"), std::string::npos) << problems[0].what();
}


// An object kind: values hold a C++ object of the library's own type.
struct TestMesh {
  std::vector<float> vertices;
  bool operator==(const TestMesh& o) const { return vertices == o.vertices; }
};

ValueKind mesh_kind();

Value make_mesh(TestMesh m) {
  Hasher h;
  h.add(m.vertices.size()).bytes(m.vertices.data(), m.vertices.size() * sizeof(float));
  const std::uint64_t hash = h.digest();
  const std::size_t bytes = m.vertices.size() * sizeof(float);
  return Value::make_object(mesh_kind(), std::move(m), hash, bytes);
}

ValueKind mesh_kind() {
  static const ValueKind k = register_object_kind(
      {"TestMesh", "a mesh", "#9070c0", "kind test"},
      object_kind_hooks<TestMesh>([](const TestMesh& m) { return std::to_string(m.vertices.size()) + " vertices"; },
                                  [](const TestMesh& m) { return nlohmann::json{{"vertices", m.vertices}}; },
                                  [](const nlohmann::json& j) {
                                    if (!j.is_object() || !j.contains("vertices")) throw Error("a TestMesh needs vertices");
                                    return make_mesh({j.at("vertices").get<std::vector<float>>()});
                                  }));
  return k;
}

TEST(KindRegistry, ObjectKindsHoldTheirLibrarysOwnType) {
  const Value a = make_mesh({{1, 2, 3}});
  EXPECT_TRUE(is_object_kind(a.kind()));
  EXPECT_FALSE(is_tensor_kind(a.kind()));
  EXPECT_FALSE(is_record_kind(a.kind()));
  EXPECT_EQ(a.object<TestMesh>(mesh_kind()).vertices, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(a.hash(), make_mesh({{1, 2, 3}}).hash()) << "equal content, equal hash";
  EXPECT_NE(a.hash(), make_mesh({{1, 2, 4}}).hash());
  EXPECT_EQ(a.describe(), "TestMesh 3 vertices");
  const ObjectKindHooks* hooks = object_kind_hooks(mesh_kind());
  ASSERT_NE(hooks, nullptr);
  EXPECT_EQ(hooks->to_json(a.object_data()), (nlohmann::json{{"vertices", {1, 2, 3}}}));
  EXPECT_EQ(hooks->from_json(hooks->to_json(a.object_data())).hash(), a.hash()) << "through JSON and back";
  // Read as another kind or another type; made from another type; registered again differently.
  EXPECT_SUMI_ERROR(a.scalar(), "expected a Scalar value, got TestMesh");
  EXPECT_SUMI_ERROR(a.object<TestMesh>(strokes_kind()), "expected a Strokes value, got TestMesh");
  EXPECT_SUMI_ERROR(a.object<int>(mesh_kind()), "TestMesh", "another C++ type");
  EXPECT_SUMI_ERROR(Value::make_object(mesh_kind(), 3, 0, 0), "TestMesh", "another C++ type");
  EXPECT_SUMI_ERROR(Value::make_object(depth_kind(), TestMesh{}, 0, 0), "TestDepth is not an object kind");
  EXPECT_SUMI_ERROR(register_object_kind({"TestMesh", "", "", "kind test"}, object_kind_hooks<int>()), "TestMesh",
                    "another C++ type");
  EXPECT_SUMI_ERROR(register_tensor_kind({"TestMesh", "", "", "kind test"}), "already registered as an object kind");
  EXPECT_SUMI_ERROR(register_object_kind({"TestNoType", "", "", "kind test"}, {}), "needs its C++ type");
}

TEST(KindRegistry, TheEngineKnowsOnlyGenericKindsAndTheLibrariesRegisterTheirs) {
  // Built in: tensors, numbers, text. The drawing and face kinds are the node libraries' object kinds.
  std::vector<std::string> builtin;
  for (ValueKind k : all_kinds())
    if (!is_registered_kind(k)) builtin.push_back(kind_info(k).name);
  EXPECT_EQ(builtin, (std::vector<std::string>{"Image", "Mask", "Scalar", "Int", "Bool", "String"}));
  for (ValueKind k : {strokes_kind(), parts_kind()}) {
    EXPECT_TRUE(is_object_kind(k)) << kind_name(k);
    EXPECT_EQ(kind_info(k).origin, "built-in") << kind_name(k);
  }
  Strokes s;
  s.strokes.push_back({StrokeKind::Line, 3, {}, {{1, 2, 1}, {3, 4, 0.5f}}});
  const Value v = make_strokes(s);
  EXPECT_EQ(strokes_of(v), s);
  EXPECT_EQ(v.describe(), "Strokes 1 strokes");
  EXPECT_EQ(object_kind_hooks(strokes_kind())->from_json(object_kind_hooks(strokes_kind())->to_json(v.object_data())).hash(),
            v.hash()) << "a strokes file's document and back";
  EXPECT_SUMI_ERROR(parts_of(v), "expected a PartSet value, got Strokes");
  EXPECT_SUMI_ERROR(make_parts({{"eye", {0, 0, 4}, Value::make_scalar(1)}}), "part 'eye' must hold an Image");
}

}  // namespace
}  // namespace sumi::test
