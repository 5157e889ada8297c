// A plugin that adds an object kind (engine/kind_registry.h): TestMesh, a C++
// struct of its own with JSON hooks, so that Python feeds and reads it as a
// dict. fx.mesh_make makes one, fx.mesh_scale scales it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/kind_registry.h"
#include "engine/node_context.h"
#include "engine/plugin_api.h"

namespace {

struct Mesh {
  std::vector<double> vertices;
};

sumi::ValueKind mesh_kind();

sumi::Value make_mesh(Mesh m) {
  sumi::Hasher h;
  h.add(m.vertices.size()).bytes(m.vertices.data(), m.vertices.size() * sizeof(double));
  const std::uint64_t hash = h.digest();
  const std::size_t bytes = m.vertices.size() * sizeof(double);
  return sumi::Value::make_object(mesh_kind(), std::move(m), hash, bytes);
}

sumi::ValueKind mesh_kind() {
  static const sumi::ValueKind k = sumi::register_object_kind(
      {"TestMesh", "a list of vertex coordinates", "#9070c0", ""},
      sumi::object_kind_hooks<Mesh>(
          [](const Mesh& m) { return std::to_string(m.vertices.size()) + " vertices"; },
          [](const Mesh& m) { return nlohmann::json{{"vertices", m.vertices}}; },
          [](const nlohmann::json& j) {
            if (!j.is_object() || !j.contains("vertices") || !j["vertices"].is_array())
              throw sumi::Error("a TestMesh is {\"vertices\": [numbers]}");
            Mesh m;
            for (const auto& v : j["vertices"]) {
              if (!v.is_number()) throw sumi::Error("a TestMesh's vertices are numbers");
              m.vertices.push_back(v.get<double>());
            }
            return make_mesh(std::move(m));
          }));
  return k;
}

void register_mesh_nodes(sumi::Registry& r) {
  sumi::NodeDescriptor make;
  make.id = "fx.mesh_make";
  make.doc = "a mesh of n vertices 0, 1, ..., n-1";
  make.outputs = {sumi::PortSpec::out("mesh", mesh_kind(), "the mesh")};
  make.params = {sumi::ParamSpec::integer("n", 3, "vertices").range(0, 1000)};
  make.compute = [](sumi::NodeContext& ctx) {
    Mesh m;
    for (int i = 0; i < ctx.param_int("n"); ++i) m.vertices.push_back(i);
    ctx.set_output("mesh", make_mesh(std::move(m)));
  };
  r.add(make);
  sumi::NodeDescriptor scale;
  scale.id = "fx.mesh_scale";
  scale.doc = "every vertex times `factor`";
  scale.inputs = {sumi::PortSpec::in("mesh", mesh_kind(), "a mesh")};
  scale.outputs = {sumi::PortSpec::out("mesh", mesh_kind(), "the scaled mesh")};
  scale.params = {sumi::ParamSpec::number("factor", 2.0, "scale")};
  scale.compute = [](sumi::NodeContext& ctx) {
    Mesh m = ctx.input("mesh").object<Mesh>(mesh_kind());
    for (double& v : m.vertices) v *= ctx.param_float("factor");
    ctx.set_output("mesh", make_mesh(std::move(m)));
  };
  r.add(scale);
}

}  // namespace

SUMI_PLUGIN(register_mesh_nodes)
