#include "engine/graph.h"

#include <algorithm>
#include <atomic>
#include <cctype>

#include "engine/error.h"

namespace sumi {
namespace {

std::uint64_t next_uid() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

bool valid_id(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

Endpoint Endpoint::parse(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size() ||
      text.find('.', dot + 1) != std::string_view::npos)
    throw Error("link '" + std::string(text) + "' must be written \"node.port\"");
  return {std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

Graph::Graph() : uid_(next_uid()) {}

Graph::Graph(const Graph& o)
    : name(o.name),
      doc(o.doc),
      base_dir(o.base_dir),
      source_file(o.source_file),
      layout_json(o.layout_json),
      nodes_(o.nodes_),
      outputs_(o.outputs_),
      variables_(o.variables_),
      interface_inputs_(o.interface_inputs_),
      uid_(next_uid()) {}

Graph& Graph::operator=(const Graph& o) {
  if (this != &o) {
    Graph copy(o);
    *this = std::move(copy);
  }
  return *this;
}

const NodeInstance* Graph::node(std::string_view id) const {
  auto it = nodes_.find(std::string(id));
  return it == nodes_.end() ? nullptr : &it->second;
}

NodeInstance& Graph::node_or_throw(const std::string& id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) throw Error(ErrorContext{source_file, id, {}, {}, {}}, "no such node in the graph");
  return it->second;
}

void Graph::add_node(const std::string& id, const std::string& type) {
  ErrorContext ctx{source_file, id, type, {}, {}};
  if (!valid_id(id)) throw Error(ctx, "node ids may use letters, digits, '_' and '-' only");
  if (nodes_.count(id)) throw Error(ctx, "duplicate node id");
  nodes_[id].type = type;
  touch();
}

void Graph::remove_node(const std::string& id) {
  node_or_throw(id);
  nodes_.erase(id);
  for (auto& [nid, n] : nodes_)
    for (auto it = n.inputs.begin(); it != n.inputs.end();) it = it->second.node == id ? n.inputs.erase(it) : std::next(it);
  for (auto it = outputs_.begin(); it != outputs_.end();) it = it->second.node == id ? outputs_.erase(it) : std::next(it);
  for (auto& [name, in] : interface_inputs_)
    in.to.erase(std::remove_if(in.to.begin(), in.to.end(), [&](const Endpoint& e) { return e.node == id; }), in.to.end());
  touch();
}

void Graph::link(const std::string& from, const std::string& to) {
  Endpoint src = Endpoint::parse(from), dst = Endpoint::parse(to);
  node_or_throw(src.node);
  node_or_throw(dst.node).inputs[dst.port] = src;
  touch();
}

void Graph::unlink(const std::string& to) {
  Endpoint dst = Endpoint::parse(to);
  node_or_throw(dst.node).inputs.erase(dst.port);
  touch();
}

void Graph::set_param(const std::string& node, const std::string& param, ParamValue value) {
  node_or_throw(node).params[param] = std::move(value);
  touch();
}

void Graph::clear_param(const std::string& node, const std::string& param) {
  node_or_throw(node).params.erase(param);
  touch();
}

void Graph::set_output(const std::string& name, const std::string& from) {
  if (!valid_id(name)) throw Error("output name '" + name + "' may use letters, digits, '_' and '-' only");
  Endpoint src = Endpoint::parse(from);
  node_or_throw(src.node);
  outputs_[name] = src;
  touch();
}

void Graph::remove_output(const std::string& name) {
  outputs_.erase(name);
  touch();
}

void Graph::set_variable(const std::string& name, ParamValue value, const std::string& doc) {
  if (!valid_id(name)) throw Error("variable name '" + name + "' may use letters, digits, '_' and '-' only");
  if (name == kSubgraphFileParam) throw Error("variable name 'file' is reserved (it names a subgraph's file)");
  variables_[name] = Variable{std::move(value), doc};
  touch();
}

void Graph::remove_variable(const std::string& name) {
  variables_.erase(name);
  touch();
}

void Graph::set_interface_input(const std::string& name, const std::vector<std::string>& targets,
                                const std::string& doc) {
  if (!valid_id(name)) throw Error("interface input name '" + name + "' may use letters, digits, '_' and '-' only");
  InterfaceInput in;
  in.doc = doc;
  for (const auto& t : targets) {
    Endpoint e = Endpoint::parse(t);
    node_or_throw(e.node);
    in.to.push_back(std::move(e));
  }
  interface_inputs_[name] = std::move(in);
  touch();
}

void Graph::remove_interface_input(const std::string& name) {
  interface_inputs_.erase(name);
  touch();
}

bool Graph::uses_subgraph_features() const {
  if (!variables_.empty() || !interface_inputs_.empty()) return true;
  for (const auto& [id, n] : nodes_)
    if (n.type == kSubgraphType) return true;
  return false;
}

bool Graph::same_semantics(const Graph& o) const {
  return name == o.name && doc == o.doc && nodes_ == o.nodes_ && outputs_ == o.outputs_ &&
         variables_ == o.variables_ && interface_inputs_ == o.interface_inputs_;
}

}  // namespace sumi
