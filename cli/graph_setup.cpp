#include "cli/graph_setup.h"

#include <filesystem>

#include "engine/graph.h"
#include "engine/json_util.h"
#include "engine/registry.h"
#include "engine/sandbox.h"
#include "engine/validate.h"
#include "engine/value.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/common/png.h"
#include "nodes/common/strokes_file.h"

namespace sumi::cli {

std::pair<std::string, std::string> split_assignment(const std::string& text, const char* what) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw Error(std::string(what) + " '" + text + "' must be written NAME=VALUE");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::string absolute(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

namespace {

// A value typed on the command line for a variable or a subgraph parameter,
// whose type only its uses know: numbers, booleans and lists read as JSON
// (a list also without brackets when `list` is set), anything else as text.
ParamValue loose_value(const std::string& text, const std::string& what, bool list, bool text_only) {
  if (text_only) return text;
  std::string value = text;
  if (list && !value.empty() && value.front() != '[') value = "[" + value + "]";
  try {
    auto j = parse_json(value, what);
    if (j.is_number() || j.is_boolean() || j.is_array()) return param_from_json(j, ErrorContext{{}, {}, {}, {}, what});
  } catch (const Error&) {
  }
  return text;
}

// --set NAME=VALUE: a graph variable, keeping its type (a text variable stays text).
void set_variable(Graph& g, const std::string& name, const std::string& value) {
  auto it = g.variables().find(name);
  if (it == g.variables().end()) {
    std::vector<std::string> names;
    std::string list;
    for (const auto& [v, _] : g.variables()) {
      names.push_back(v);
      list += (list.empty() ? "" : ", ") + v;
    }
    throw Error("--set " + name + ": the graph has no variable '" + name + "'" + did_you_mean(name, names) +
                (list.empty() ? "; it has none" : "; its variables: " + list) +
                " (a node parameter is set with NODE.PARAM=VALUE)");
  }
  const ParamValue& old = it->second.value;
  ParamValue v = loose_value(value, "$" + name, std::holds_alternative<std::vector<double>>(old),
                             std::holds_alternative<std::string>(old));
  g.set_variable(name, v, it->second.doc);
}

}  // namespace

void apply_set(Graph& g, const Registry& reg, const std::string& text) {
  auto [lhs, value] = split_assignment(text, "--set");
  const auto dot = lhs.find('.');
  if (dot == std::string::npos && valid_id(lhs)) return set_variable(g, lhs, value);
  if (dot == std::string::npos || dot == 0 || dot + 1 == lhs.size())
    throw Error("--set '" + text + "' must be written NODE.PARAM=VALUE (e.g. sketch.size=512)");
  Endpoint ep = Endpoint::parse(lhs);
  const NodeInstance* n = g.node(ep.node);
  if (!n) {
    std::vector<std::string> ids;
    for (const auto& [id, _] : g.nodes()) ids.push_back(id);
    throw Error("--set " + lhs + ": no node '" + ep.node + "' in the graph" + did_you_mean(ep.node, ids));
  }
  if (n->type == kSubgraphType) {  // a subgraph instance: its parameters are the file's variables (checked by validate())
    const bool is_file = ep.port == kSubgraphFileParam;
    g.set_param(ep.node, ep.port, is_file ? ParamValue(absolute(value)) : loose_value(value, lhs, false, false));
    return;
  }
  const NodeDescriptor* d = reg.find(n->type);
  const ParamSpec* spec = d ? d->param(ep.port) : nullptr;
  if (!spec) {
    std::vector<std::string> names;
    std::string list;
    for (const ParamSpec& p : d ? d->params : std::vector<ParamSpec>{}) {
      names.push_back(p.name);
      list += (list.empty() ? "" : ", ") + p.name;
    }
    throw Error(ErrorContext{g.source_file, ep.node, n->type, {}, ep.port},
                "--set: the node has no such parameter" + did_you_mean(ep.port, names) +
                    (list.empty() ? "; it has none" : "; its parameters: " + list));
  }
  // Lists may be written without brackets: split.left_eye=40,110,60.
  if ((spec->type == ParamType::IntList || spec->type == ParamType::FloatList) && !value.empty() && value.front() != '[')
    value = "[" + value + "]";
  ParamValue v;
  switch (spec->type) {
    case ParamType::String:
    case ParamType::Enum: v = value; break;
    case ParamType::Path:
    case ParamType::Model: v = value.empty() ? value : absolute(value); break;
    default: {
      // Numbers, booleans and lists are read as JSON; anything else stays text
      // (validation then names the parameter and the expected type).
      nlohmann::ordered_json j;
      bool is_json = true;
      try {
        j = parse_json(value, "--set " + lhs);  // depth-checked: a deep list must not overflow the stack
      } catch (const Error&) {
        is_json = false;
      }
      v = !is_json ? ParamValue(value) : param_from_json(j, ErrorContext{g.source_file, ep.node, n->type, {}, ep.port});
    }
  }
  g.set_param(ep.node, ep.port, v);
}

void check_input_node(const Graph& g, const Registry& reg, const std::string& node) {
  const NodeInstance* n = g.node(node);
  if (!n) throw Error("--in " + node + ": no node '" + node + "' in the graph");
  const NodeDescriptor* d = reg.find(n->type);
  const ParamSpec* spec = d ? d->param("path") : nullptr;
  if (!spec || spec->type != ParamType::Path)
    throw Error(ErrorContext{g.source_file, node, n->type, {}, {}}, "--in: this node reads no file (no 'path' parameter)");
}

void apply_in(Graph& g, const Registry& reg, const std::string& text) {
  auto [node, file] = split_assignment(text, "--in");
  check_input_node(g, reg, node);
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec) || (!std::filesystem::exists(file, ec) && file.find_first_of("*?[") != std::string::npos))
    throw Error(ErrorContext{file, {}, {}, {}, {}}, "--in " + node + ": a folder or pattern, but `sumi run` reads one file per input; for many: sumi batch " +
                    (g.source_file.empty() ? "GRAPH" : g.source_file) + " --in " + node + "=" + file + " --out DIR");
  if (!std::filesystem::is_regular_file(file, ec))
    throw Error(ErrorContext{file, {}, {}, {}, {}}, "--in " + node + (std::filesystem::exists(file, ec)
                                                                          ? ": not a regular file (a device, FIFO or socket)"
                                                                          : ": file not found"));
  g.set_param(node, "path", absolute(file));
}

void check_write(const Sandbox* box, const std::string& path, const std::string& output) {
  if (!box) return;
  if (std::string why = box->check(path, PathAccess::Write); !why.empty())
    throw SandboxError(output.empty() ? "--out: " + why : "output '" + output + "': " + why);
}

WrittenOutput write_output(const std::string& base, const std::string& name, const Value& v, const Sandbox* box,
                           const CancelToken* cancel) {
  for (const char* ext : {".png", ".strokes.json"}) check_write(box, base + ext, name);
  if (v.kind() == parts_kind())
    for (const Part& p : parts_of(v)) check_write(box, base + "_" + p.name + ".png", name);
  WrittenOutput w;
  if (v.kind() == ValueKind::Image || v.kind() == ValueKind::Mask) {
    write_png(image_to_mat(v), base + ".png", cancel);
    w.files = {base + ".png"};
  } else if (v.kind() == parts_kind()) {
    for (const Part& p : parts_of(v)) {
      write_png(image_to_mat(p.image), base + "_" + p.name + ".png", cancel);
      w.files.push_back(base + "_" + p.name + ".png");
    }
  } else if (v.kind() == strokes_kind()) {
    save_strokes_file(strokes_of(v), base + ".strokes.json");
    w.files = {base + ".strokes.json"};
  } else {
    w.text = name + " = " + v.describe();
  }
  return w;
}

}  // namespace sumi::cli
