#include "editor/server/run_request.h"

#include "engine/error.h"
#include "engine/graph_file.h"
#include "engine/json_util.h"
#include "engine/kind_registry.h"
#include "nodes/common/strokes_file.h"

namespace sumi::editor {

Graph graph_from_json(const Json& j, const GraphStore& store) {
  if (j.is_string()) return store.load(j.get<std::string>());
  if (!j.is_object()) throw ApiError(400, "'graph' must be a graph file name or a graph object");
  Graph g = parse_graph(j.dump(), "request graph");
  g.base_dir = store.dir();
  return g;
}

ParamValue param_from_json(const Json& j, const std::string& what) {
  try {
    return sumi::param_from_json(j, ErrorContext{});
  } catch (const Error& e) {
    throw ApiError(400, what + ": " + e.message());
  }
}

namespace {

// The value fed in place of `key`'s output ("node" for a node's only output, or "node.port"), or to an
// unlinked optional input: strokes (a strokes input's drawing) or a record kind's document (e.g. a Frame fed
// to pin face.locate's answer, or as its previous frame).
Value fed_value(const Json& j, const std::string& key, const NodeInstance& n, const Registry& registry) {
  const NodeDescriptor* d = registry.find(n.type);
  const std::size_t dot = key.find('.');
  const PortSpec* port = nullptr;
  if (d && dot != std::string::npos) {
    port = d->output(std::string_view(key).substr(dot + 1));
    // Or an optional input the graph leaves unlinked (e.g. face.locate's previous frame; the engine checks).
    if (!port) port = d->input(std::string_view(key).substr(dot + 1));
    if (!port) throw ApiError(400, "inputs: node '" + key.substr(0, dot) + "' (" + n.type + ") has no output or input '" +
                                       key.substr(dot + 1) + "'", {{"node", key.substr(0, dot)}});
  } else if (d && d->outputs.size() == 1) {
    port = &d->outputs.front();
  }
  const ValueKind kind = port ? port->kind : strokes_kind();  // a subgraph instance's input: strokes
  if (is_record_kind(kind)) {
    if (!j.is_object()) throw ApiError(400, "inputs: '" + key + "' must be a " + std::string(kind_name(kind)) + " object");
    try {
      return Value::make_record(kind, j);
    } catch (const Error& e) {
      throw ApiError(400, "inputs." + key + ": " + e.message());
    }
  }
  if (kind != strokes_kind()) {
    const std::string name(kind_name(kind));
    throw ApiError(400, "inputs: '" + key + "' is " + (std::string("AEIOU").find(name[0]) != std::string::npos ? "an " : "a ") +
                            name + " output; a run request feeds strokes and records (such as a Frame) only");
  }
  if (!j.is_object()) throw ApiError(400, "inputs: '" + key + "' must be a strokes object");
  return make_strokes(parse_strokes(j.dump(), "inputs." + key));
}

}  // namespace

RunRequest parse_run_request(const Json& body, const Registry& registry, const GraphStore& store) {
  RunRequest r;
  if (!body.contains("graph")) throw ApiError(400, "run request: 'graph' is missing (a graph file name or object)");
  r.graph = graph_from_json(body["graph"], store);

  if (body.contains("params")) {
    const Json& params = body["params"];
    if (!params.is_object()) throw ApiError(400, "'params' must be an object of \"node.param\": value");
    for (auto it = params.begin(); it != params.end(); ++it) {
      const std::string& key = it.key();
      auto dot = key.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == key.size())
        throw ApiError(400, "params: '" + key + "' must be written node.param");
      std::string node = key.substr(0, dot), param = key.substr(dot + 1);
      const NodeInstance* n = r.graph.node(node);
      if (!n) throw ApiError(400, "params: no node '" + node + "' in the graph", {{"node", node}});
      const NodeDescriptor* d = registry.find(n->type);
      if (d && !d->param(param))
        throw ApiError(400, "params: node '" + node + "' (" + n->type + ") has no parameter '" + param + "'",
                       {{"node", node}, {"param", param}});
      r.graph.set_param(node, param, param_from_json(it.value(), "params: " + key));
    }
  }

  if (body.contains("inputs")) {
    const Json& inputs = body["inputs"];
    if (!inputs.is_object()) throw ApiError(400, "'inputs' must be an object of node: strokes (or node.port: record)");
    for (auto it = inputs.begin(); it != inputs.end(); ++it) {
      const std::string& key = it.key();
      std::string node = key.substr(0, key.find('.'));
      const NodeInstance* n = r.graph.node(node);
      if (!n) throw ApiError(400, "inputs: no node '" + node + "' in the graph", {{"node", node}});
      r.inputs[key] = fed_value(it.value(), key, *n, registry);
    }
  }

  if (body.contains("outputs")) {
    const Json& outs = body["outputs"];
    if (!outs.is_array()) throw ApiError(400, "'outputs' must be a list of output names");
    for (const Json& o : outs) {
      if (!o.is_string()) throw ApiError(400, "'outputs' must be a list of output names");
      r.outputs.push_back(o.get<std::string>());
    }
  }
  if (body.contains("inline_pixels")) {
    if (!body["inline_pixels"].is_boolean()) throw ApiError(400, "'inline_pixels' must be true or false");
    r.inline_pixels = body["inline_pixels"].get<bool>();
  }
  if (body.contains("shown")) {
    const Json& shown = body["shown"];
    if (!shown.is_object()) throw ApiError(400, "'shown' must be an object of output name: content hash");
    for (auto it = shown.begin(); it != shown.end(); ++it) {
      if (!it.value().is_string()) throw ApiError(400, "shown: '" + it.key() + "' must be a content hash string");
      r.shown[it.key()] = it.value().get<std::string>();
    }
  }
  return r;
}

}  // namespace sumi::editor
