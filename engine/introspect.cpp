#include "engine/introspect.h"

#include <functional>
#include <map>
#include <vector>

#include "engine/json_util.h"
#include "engine/kind_registry.h"
#include "engine/subgraph.h"

namespace sumi {
namespace {

using Json = nlohmann::ordered_json;

Json param_json(const ParamValue& v) {
  return std::visit([](const auto& x) -> Json { return x; }, v);
}

Json port_json(const PortSpec& p, bool input) {
  Json j;
  j["name"] = p.name;
  j["kind"] = std::string(kind_name(p.kind));
  if (input) j["required"] = p.required;
  j["doc"] = p.doc;
  return j;
}

Json param_spec_json(const ParamSpec& p) {
  Json jp;
  jp["name"] = p.name;
  jp["type"] = std::string(param_type_name(p.type));
  jp["default"] = param_json(p.def);
  if (p.min) jp["min"] = *p.min;
  if (p.max) jp["max"] = *p.max;
  if (!p.choices.empty()) jp["choices"] = p.choices;
  if (p.length) jp["length"] = p.length;
  if (p.live) jp["live"] = true;
  if (PathAccess a = p.file_access(); a != PathAccess::None) jp["access"] = std::string(path_access_name(a));
  jp["doc"] = p.doc;
  return jp;
}

Json descriptor_json(const NodeDescriptor& d) {
  Json j;
  j["id"] = d.id;
  j["version"] = d.version;
  j["category"] = d.category;
  j["doc"] = d.doc;
  j["cacheable"] = d.cacheable;
  j["output_node"] = d.output_node;
  j["origin"] = d.origin.empty() ? std::string("built-in") : d.origin;
  j["inputs"] = Json::array();
  for (const auto& p : d.inputs) j["inputs"].push_back(port_json(p, true));
  j["outputs"] = Json::array();
  for (const auto& p : d.outputs) j["outputs"].push_back(port_json(p, false));
  j["params"] = Json::array();
  for (const auto& p : d.params) j["params"].push_back(param_spec_json(p));
  return j;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string descriptor_to_json(const NodeDescriptor& d) { return dump_json(descriptor_json(d)); }
std::string param_spec_to_json(const ParamSpec& p) { return dump_json(param_spec_json(p)); }

std::string registry_to_json(const Registry& reg) {
  Json j;
  j["format"] = "sumi.nodes";
  j["version"] = 1;
  j["nodes"] = Json::array();
  for (const NodeDescriptor* d : reg.all()) j["nodes"].push_back(descriptor_json(*d));
  j["kinds"] = Json::array();  // every value kind: built-in, then those plugins registered
  for (ValueKind k : all_kinds()) {
    const KindInfo& i = kind_info(k);
    j["kinds"].push_back({{"name", i.name}, {"doc", i.doc}, {"colour", i.colour}, {"origin", i.origin}, {"record", is_record_kind(k)},
                                {"object", is_object_kind(k)}});
  }
  return dump_json(j);
}

std::string graph_to_dot(const Graph& g) {
  std::string out = "digraph " + quote(g.name.empty() ? "graph" : g.name) + " {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  const Graph* shown = &g;
  Expansion x;
  if (!g.uses_subgraph_features()) {
    for (const auto& [id, n] : g.nodes()) out += "  " + quote(id) + " [label=" + quote(id + "\n" + n.type) + "];\n";
  } else {
    // Subgraph instances, expanded, as (nested) clusters; drawn best effort:
    // an instance that cannot be expanded is left out (validate names why).
    const Registry none;
    x = expand_subgraphs(g, none);
    shown = &x.graph;
    std::map<std::string, std::vector<std::string>> members;  // instance path ("" = top) -> flat ids
    for (const auto& [id, n] : x.graph.nodes()) {
      auto slash = id.rfind('/');
      members[slash == std::string::npos ? std::string() : id.substr(0, slash)].push_back(id);
    }
    std::map<std::string, std::vector<const SubgraphInstanceInfo*>> children;
    for (const auto& inst : x.instances) {
      auto slash = inst.path.rfind('/');
      children[slash == std::string::npos ? std::string() : inst.path.substr(0, slash)].push_back(&inst);
    }
    int next_cluster = 0;
    std::function<void(const std::string&, const std::string&)> emit = [&](const std::string& path,
                                                                          const std::string& indent) {
      for (const auto& id : members[path]) {
        const std::string inner = path.empty() ? id : id.substr(path.size() + 1);
        out += indent + quote(id) + " [label=" + quote(inner + "\n" + x.graph.node(id)->type) + "];\n";
      }
      for (const SubgraphInstanceInfo* inst : children[path]) {
        const std::string name = path.empty() ? inst->path : inst->path.substr(path.size() + 1);
        const auto paren = inst->trail.rfind(" (");
        const std::string label = name + (paren == std::string::npos ? "" : inst->trail.substr(paren));
        out += indent + "subgraph " + quote("cluster_" + std::to_string(next_cluster++)) + " {\n" + indent +
               "  label=" + quote(label) + ";\n" + indent + "  style=rounded;\n";
        emit(inst->path, indent + "  ");
        out += indent + "}\n";
      }
    };
    emit("", "  ");
  }
  for (const auto& [id, n] : shown->nodes())
    for (const auto& [port, src] : n.inputs)
      out += "  " + quote(src.node) + " -> " + quote(id) + " [label=" + quote(src.port + " -> " + port) + "];\n";
  for (const auto& [name, src] : shown->outputs()) {
    out += "  " + quote("out:" + name) + " [label=" + quote(name) + ", shape=doubleoctagon];\n";
    out += "  " + quote(src.node) + " -> " + quote("out:" + name) + " [label=" + quote(src.port) + "];\n";
  }
  return out + "}\n";
}

}  // namespace sumi
