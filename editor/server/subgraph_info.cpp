#include "editor/server/subgraph_info.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "engine/graph_file.h"
#include "engine/introspect.h"
#include "engine/subgraph.h"

namespace sumi::editor {

namespace {
namespace fs = std::filesystem;

Json value_json(const ParamValue& v) {
  return std::visit([](const auto& x) -> Json { return x; }, v);
}

// A parameter's type when no inner parameter says it: from the default's own type.
const char* type_of(const ParamValue& v) {
  if (std::holds_alternative<bool>(v)) return "bool";
  if (std::holds_alternative<std::int64_t>(v)) return "int";
  if (std::holds_alternative<double>(v)) return "float";
  if (std::holds_alternative<std::string>(v)) return "string";
  return "float list";
}

// The spec of the inner parameter `use` ("node.param") of graph `g`, if a node type declares it.
const ParamSpec* spec_of(const Graph& g, const Registry& reg, const std::string& use) {
  auto dot = use.rfind('.');
  const NodeInstance* n = g.node(use.substr(0, dot));
  const NodeDescriptor* d = n ? reg.find(n->type) : nullptr;
  return d ? d->param(use.substr(dot + 1)) : nullptr;
}

// Files listed per reply at most: a hostile file that instantiates the next one twice under two
// spellings at each of 16 levels would otherwise list 2^16 entries.
constexpr int kMaxEntries = 512;

struct Lister {
  const Registry& reg;
  const Sandbox* sandbox;
  std::map<std::string, std::pair<Json, Json>> read;  // resolved file -> its graph and interface, computed once
  std::vector<std::string> chain;                     // resolved files from the top, for cycles
  int entries = 0;
  bool full = false;  // kMaxEntries reached

  void add(const Graph& g, Json& out) {
    for (const auto& [id, n] : g.nodes()) {
      if (n.type != kSubgraphType) continue;
      auto it = n.params.find(kSubgraphFileParam);
      const auto* file = it == n.params.end() ? nullptr : std::get_if<std::string>(&it->second);
      if (!file || file->empty() || (*file)[0] == '$' || out.contains(*file)) continue;  // validate() names these
      if (full) return;
      Json entry = {{"file", *file}};
      if (++entries > kMaxEntries) {  // listed once; nothing after it
        entry["error"] = "more than " + std::to_string(kMaxEntries) + " subgraph files to list: not read";
        out[*file] = entry;
        full = true;
        return;
      }
      fs::path path(*file);
      if (path.is_relative() && !g.base_dir.empty()) path = fs::path(g.base_dir) / path;
      std::error_code ec;
      const std::string canon = fs::weakly_canonical(path, ec).string();
      try {
        if (sandbox)
          if (std::string why = sandbox->check(path.string(), PathAccess::Read); !why.empty()) throw ApiError(403, why);
        if (std::find(chain.begin(), chain.end(), canon) != chain.end())
          throw ApiError(400, "subgraph reference cycle through " + *file);
        if (static_cast<int>(chain.size()) > kMaxSubgraphDepth)
          throw ApiError(400, "subgraphs nested deeper than " + std::to_string(kMaxSubgraphDepth) + " levels");
        Graph sub = load_graph_file(path.string());
        auto known = read.find(canon);
        if (known == read.end())
          known = read.emplace(canon, std::make_pair(Json::parse(graph_to_json(sub)), interface_json(sub, reg, sandbox))).first;
        entry["graph"] = known->second.first;
        entry["interface"] = known->second.second;
        Json nested = Json::object();
        chain.push_back(canon);
        add(sub, nested);
        chain.pop_back();
        entry["subgraphs"] = nested;
      } catch (const std::exception& e) {
        entry["error"] = e.what();
      }
      out[*file] = entry;
    }
  }
};
}  // namespace

Json interface_json(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  SubgraphInterface in = describe_interface(g, reg, sandbox);
  Json j = {{"inputs", Json::array()}, {"outputs", Json::array()}, {"params", Json::array()}};
  for (const auto& p : in.inputs) j["inputs"].push_back({{"name", p.name}, {"kind", p.kind}, {"doc", p.doc}});
  for (const auto& p : in.outputs) j["outputs"].push_back({{"name", p.name}, {"kind", p.kind}, {"doc", p.doc}});
  for (const auto& p : in.params) {
    Json jp = {{"name", p.name}, {"type", type_of(p.def)}};
    for (const std::string& use : p.uses)
      if (const ParamSpec* spec = spec_of(g, reg, use)) {
        jp = Json::parse(param_spec_to_json(*spec));
        jp["name"] = p.name;
        break;
      }
    jp["default"] = value_json(p.def);
    if (!p.doc.empty() || !jp.contains("doc")) jp["doc"] = p.doc;
    jp["uses"] = p.uses;
    j["params"].push_back(std::move(jp));
  }
  return j;
}

Json subgraphs_json(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  Json out = Json::object();
  Lister lister{reg, sandbox, {}, {}, 0, false};
  std::error_code ec;
  if (!g.source_file.empty()) lister.chain.push_back(fs::weakly_canonical(g.source_file, ec).string());
  lister.add(g, out);
  return out;
}

}  // namespace sumi::editor
