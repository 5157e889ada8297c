#include "engine/graph_file.h"

#include <filesystem>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/json_util.h"

namespace sumi {
namespace {

using Json = nlohmann::ordered_json;

Json param_to_json(const ParamValue& v) {
  struct Visitor {
    Json operator()(bool b) const { return b; }
    Json operator()(std::int64_t i) const { return i; }
    Json operator()(double d) const { return d; }
    Json operator()(const std::string& s) const { return s; }
    Json operator()(const std::vector<double>& l) const {
      Json a = Json::array();
      for (double d : l) {
        // Whole numbers are written as integers so int lists stay readable.
        if (d == static_cast<double>(static_cast<std::int64_t>(d))) a.push_back(static_cast<std::int64_t>(d));
        else a.push_back(d);
      }
      return a;
    }
  };
  return std::visit(Visitor{}, v);
}

void expect_object(const Json& j, const ErrorContext& ctx, const char* what) {
  if (!j.is_object()) throw Error(ctx, std::string(what) + " must be a JSON object, got " + std::string(j.type_name()));
}

void expect_keys(const Json& j, std::initializer_list<const char*> allowed, const ErrorContext& ctx, const char* what) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw Error(ctx, "unknown field '" + it.key() + "' in " + what + " (expected: " + list + ")");
    }
  }
}

Endpoint endpoint_from_json(const Json& j, const ErrorContext& ctx) {
  if (!j.is_string()) throw Error(ctx, "a link must be a \"node.port\" string, got " + j.dump());
  try {
    return Endpoint::parse(j.get<std::string>());
  } catch (const Error& e) {
    throw Error(ctx, e.message());
  }
}

// "variables": { "size": 512, "k": { "value": 10, "doc": "..." } }
void parse_variables(const Json& j, Graph& g, const ErrorContext& ctx) {
  expect_object(j, ctx, "\"variables\"");
  for (auto it = j.begin(); it != j.end(); ++it) {
    ErrorContext vctx = ctx;
    vctx.param = "$" + it.key();
    if (!valid_id(it.key()) || it.key() == kSubgraphFileParam)
      throw Error(vctx, "variable names may use letters, digits, '_' and '-' only ('file' is reserved)");
    Variable v;
    const Json* value = &it.value();
    if (value->is_object()) {
      expect_keys(*value, {"value", "doc"}, vctx, "a variable");
      if (!value->contains("value")) throw Error(vctx, "missing \"value\"");
      if (value->contains("doc")) {
        if (!(*value)["doc"].is_string()) throw Error(vctx, "\"doc\" must be a string");
        v.doc = (*value)["doc"].get<std::string>();
      }
      value = &(*value)["value"];
    }
    v.value = param_from_json(*value, vctx);
    g.mutable_variables()[it.key()] = std::move(v);
  }
}

// "interface": { "inputs": { "image": { "to": ["encode.image"], "doc": "..." } } }
void parse_interface(const Json& j, Graph& g, const ErrorContext& ctx) {
  expect_object(j, ctx, "\"interface\"");
  expect_keys(j, {"inputs"}, ctx, "\"interface\"");
  if (!j.contains("inputs")) return;
  expect_object(j["inputs"], ctx, "\"interface.inputs\"");
  for (auto it = j["inputs"].begin(); it != j["inputs"].end(); ++it) {
    ErrorContext ictx = ctx;
    ictx.port = it.key();
    if (!valid_id(it.key())) throw Error(ictx, "interface input names may use letters, digits, '_' and '-' only");
    const Json& in = it.value();
    expect_object(in, ictx, "an interface input");
    expect_keys(in, {"to", "doc"}, ictx, "an interface input");
    InterfaceInput input;
    if (!in.contains("to")) throw Error(ictx, "missing \"to\" (the inner \"node.port\" inputs it feeds)");
    if (in["to"].is_array()) {
      for (const Json& t : in["to"]) input.to.push_back(endpoint_from_json(t, ictx));
    } else {
      input.to.push_back(endpoint_from_json(in["to"], ictx));
    }
    if (in.contains("doc")) {
      if (!in["doc"].is_string()) throw Error(ictx, "\"doc\" must be a string");
      input.doc = in["doc"].get<std::string>();
    }
    g.mutable_interface_inputs()[it.key()] = std::move(input);
  }
}

}  // namespace

Graph parse_graph(std::string_view text, const std::string& source) {
  ErrorContext ctx;
  ctx.file = source;
  Json j;
  try {
    j = parse_json(text, source);
  } catch (const Error& e) {
    // Name a duplicated node id the way a user thinks of it.
    const std::string& m = e.message();
    const std::string prefix = "duplicate key 'nodes.";
    if (m.rfind(prefix, 0) == 0 && m.find('.', prefix.size()) == std::string::npos) {
      ctx.node = m.substr(prefix.size(), m.size() - prefix.size() - 1);
      throw Error(ctx, "duplicate node id");
    }
    throw;
  }
  expect_object(j, ctx, "a graph file");
  expect_keys(j, {"format", "version", "name", "doc", "variables", "interface", "nodes", "outputs", "layout"}, ctx,
              "the graph");
  if (!j.contains("format") || j["format"] != "sumi.graph")
    throw Error(ctx, "not a Sumi graph file (expected \"format\": \"sumi.graph\")");
  if (!j.contains("version") || !j["version"].is_number_integer())
    throw Error(ctx, "missing integer \"version\"");
  const auto version = j["version"].get<std::int64_t>();
  if (version > kGraphFormatVersion)
    throw Error(ctx, "file version " + std::to_string(version) + " is newer than this Sumi supports (" +
                         std::to_string(kGraphFormatVersion) + "); update Sumi");
  if (version < 1) throw Error(ctx, "invalid version " + std::to_string(version));
  for (const char* v2 : {"variables", "interface"})
    if (j.contains(v2) && version < 2)
      throw Error(ctx, std::string("\"") + v2 + "\" needs \"version\": 2 (subgraph files, docs/subgraphs.md)");

  Graph g;
  g.source_file = source;
  if (j.contains("name")) {
    if (!j["name"].is_string()) throw Error(ctx, "\"name\" must be a string");
    g.name = j["name"].get<std::string>();
  }
  if (j.contains("doc")) {
    if (!j["doc"].is_string()) throw Error(ctx, "\"doc\" must be a string");
    g.doc = j["doc"].get<std::string>();
  }
  if (!j.contains("nodes")) throw Error(ctx, "missing \"nodes\"");
  expect_object(j["nodes"], ctx, "\"nodes\"");
  auto& nodes = g.mutable_nodes();
  for (auto it = j["nodes"].begin(); it != j["nodes"].end(); ++it) {
    ErrorContext nctx = ctx;
    nctx.node = it.key();
    const Json& n = it.value();
    expect_object(n, nctx, "a node");
    expect_keys(n, {"type", "in", "params"}, nctx, "a node");
    if (!n.contains("type") || !n["type"].is_string()) throw Error(nctx, "missing string \"type\"");
    if (!valid_id(it.key())) throw Error(nctx, "node ids may use letters, digits, '_' and '-' only");
    if (nodes.count(it.key())) throw Error(nctx, "duplicate node id");
    NodeInstance inst;
    inst.type = n["type"].get<std::string>();
    nctx.type = inst.type;
    if (n.contains("in")) {
      expect_object(n["in"], nctx, "\"in\"");
      for (auto p = n["in"].begin(); p != n["in"].end(); ++p) {
        ErrorContext pctx = nctx;
        pctx.port = p.key();
        inst.inputs[p.key()] = endpoint_from_json(p.value(), pctx);
      }
    }
    if (n.contains("params")) {
      expect_object(n["params"], nctx, "\"params\"");
      for (auto p = n["params"].begin(); p != n["params"].end(); ++p) {
        ErrorContext pctx = nctx;
        pctx.param = p.key();
        inst.params[p.key()] = param_from_json(p.value(), pctx);
      }
    }
    nodes.emplace(it.key(), std::move(inst));
  }
  if (j.contains("outputs")) {
    expect_object(j["outputs"], ctx, "\"outputs\"");
    for (auto it = j["outputs"].begin(); it != j["outputs"].end(); ++it) {
      ErrorContext octx = ctx;
      octx.port = it.key();
      // Output names become file names (OUT/<name>.png): '../x' or '/abs' would write outside the output folder.
      if (!valid_id(it.key()))
        throw Error(octx, "output name '" + utf8_safe(it.key()) + "' may use letters, digits, '_' and '-' only");
      g.mutable_outputs()[it.key()] = endpoint_from_json(it.value(), octx);
    }
  }
  if (j.contains("variables")) parse_variables(j["variables"], g, ctx);
  if (j.contains("interface")) parse_interface(j["interface"], g, ctx);
  if (j.contains("layout")) g.layout_json = j["layout"].dump();
  g.touch();
  return g;
}

Graph load_graph_file(const std::string& path) {
  std::string text = read_file(path);
  Graph g = parse_graph(text, path);
  std::error_code ec;
  auto dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  g.base_dir = dir.string();
  return g;
}

std::string graph_to_json(const Graph& g) {
  Json j;
  j["format"] = "sumi.graph";
  // Version 1 unless the graph uses what version 2 added, so that older
  // files re-save unchanged and stay readable by older Sumi.
  j["version"] = g.uses_subgraph_features() ? kGraphFormatVersion : 1;
  if (!g.name.empty()) j["name"] = g.name;
  if (!g.doc.empty()) j["doc"] = g.doc;
  if (!g.variables().empty()) {
    Json vars = Json::object();
    for (const auto& [name, v] : g.variables()) {
      if (v.doc.empty()) {
        vars[name] = param_to_json(v.value);
      } else {
        Json jv;
        jv["value"] = param_to_json(v.value);
        jv["doc"] = v.doc;
        vars[name] = std::move(jv);
      }
    }
    j["variables"] = std::move(vars);
  }
  if (!g.interface_inputs().empty()) {
    Json inputs = Json::object();
    for (const auto& [name, in] : g.interface_inputs()) {
      Json ji, to = Json::array();
      for (const Endpoint& e : in.to) to.push_back(e.str());
      ji["to"] = std::move(to);
      if (!in.doc.empty()) ji["doc"] = in.doc;
      inputs[name] = std::move(ji);
    }
    j["interface"]["inputs"] = std::move(inputs);
  }
  Json nodes = Json::object();
  for (const auto& [id, n] : g.nodes()) {
    Json jn;
    jn["type"] = n.type;
    if (!n.inputs.empty()) {
      Json in = Json::object();
      for (const auto& [port, src] : n.inputs) in[port] = src.str();
      jn["in"] = std::move(in);
    }
    if (!n.params.empty()) {
      Json params = Json::object();
      for (const auto& [name, v] : n.params) params[name] = param_to_json(v);
      jn["params"] = std::move(params);
    }
    nodes[id] = std::move(jn);
  }
  j["nodes"] = std::move(nodes);
  Json outputs = Json::object();
  for (const auto& [name, src] : g.outputs()) outputs[name] = src.str();
  j["outputs"] = std::move(outputs);
  if (!g.layout_json.empty()) j["layout"] = parse_json(g.layout_json, "the graph's layout");
  return dump_json(j);
}

void save_graph_file(const Graph& g, const std::string& path) { write_file_atomic(path, graph_to_json(g)); }

}  // namespace sumi
