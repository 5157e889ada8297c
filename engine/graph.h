// The graph model: node instances, their parameters, links and named outputs.
// Pure data plus editing operations; validation and planning live in
// validate.h and plan.h, file I/O in graph_file.h.
//
//   Graph g;
//   g.add_node("draw", "io.strokes_input");
//   g.add_node("sketch", "sketch.rasterise");
//   g.link("draw.strokes", "sketch.strokes");
//   g.set_param("sketch", "size", std::int64_t{256});
//   g.set_output("image", "sketch.image");
//
// Nodes are kept sorted by id, so saved files and plans are deterministic.
//
// Subgraphs (engine/subgraph.h): a node of type "subgraph" is an instance of
// another graph file (parameter "file", relative to this graph's folder; its
// other parameters set that file's variables). The graph keeps instances as
// single nodes, so saving never flattens them; validate() and compile()
// expand them. Variables are graph-level values that node parameters name as
// "$name"; a graph used as a subgraph exposes its variables as parameters and
// declares its inputs in an interface (its graph outputs are the instance's
// outputs).
//
// Thread safety: not thread-safe for writing; concurrent reads are fine.
// Every edit bumps revision(), which sessions use to reuse compiled plans.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/param.h"

namespace sumi {

// Node ids and output names: letters, digits, '_' and '-' (never empty). Output
// names become file names under a run's output folder, so they cannot climb out.
bool valid_id(std::string_view id);

// "node.port"
struct Endpoint {
  std::string node;
  std::string port;
  static Endpoint parse(std::string_view text);  // throws sumi::Error when malformed
  std::string str() const { return node + "." + port; }
  bool operator==(const Endpoint& o) const { return node == o.node && port == o.port; }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
};

// The node type of a subgraph instance, and its parameter naming the file.
inline constexpr const char* kSubgraphType = "subgraph";
inline constexpr const char* kSubgraphFileParam = "file";

// A graph-level variable: node parameters written "$name" take its value.
struct Variable {
  ParamValue value;
  std::string doc;
  bool operator==(const Variable& o) const { return value == o.value && doc == o.doc; }
};

// An input of a graph used as a subgraph: the inner input ports it feeds.
struct InterfaceInput {
  std::vector<Endpoint> to;
  std::string doc;
  bool operator==(const InterfaceInput& o) const { return to == o.to && doc == o.doc; }
};

struct NodeInstance {
  std::string type;
  std::map<std::string, Endpoint> inputs;    // input port -> source
  std::map<std::string, ParamValue> params;  // only those set explicitly
  bool operator==(const NodeInstance& o) const {
    return type == o.type && inputs == o.inputs && params == o.params;
  }
};

class Graph {
 public:
  Graph();
  Graph(const Graph& other);
  Graph& operator=(const Graph& other);
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;

  std::string name;
  std::string doc;
  // Folder that relative Path/Model parameters resolve against (the graph
  // file's folder when loaded from a file; empty = current directory).
  std::string base_dir;
  // Where the graph was loaded from, for error messages; may be empty.
  std::string source_file;
  // Editor layout, kept apart from semantics: canonical JSON text or empty.
  std::string layout_json;

  const std::map<std::string, NodeInstance>& nodes() const { return nodes_; }
  const std::map<std::string, Endpoint>& outputs() const { return outputs_; }
  const NodeInstance* node(std::string_view id) const;
  const std::map<std::string, Variable>& variables() const { return variables_; }
  const std::map<std::string, InterfaceInput>& interface_inputs() const { return interface_inputs_; }
  // True when the graph uses subgraph instances, variables or an interface
  // (saved as format version 2).
  bool uses_subgraph_features() const;

  // Editing. Throws sumi::Error for an empty/duplicate/unknown id or a
  // malformed endpoint. Types, ports and parameters are checked by validate().
  void add_node(const std::string& id, const std::string& type);
  void remove_node(const std::string& id);  // also removes links and outputs that use it
  void link(const std::string& from, const std::string& to);  // "src.out" -> "dst.in"
  void unlink(const std::string& to);                         // "dst.in"
  void set_param(const std::string& node, const std::string& param, ParamValue value);
  void clear_param(const std::string& node, const std::string& param);
  void set_output(const std::string& name, const std::string& from);
  void remove_output(const std::string& name);
  // Variables: `name` is a plain id; the value's type is whatever the
  // parameters naming it expect (checked by validate()).
  void set_variable(const std::string& name, ParamValue value, const std::string& doc = {});
  void remove_variable(const std::string& name);
  // Interface inputs: `targets` are inner "node.port" inputs.
  void set_interface_input(const std::string& name, const std::vector<std::string>& targets,
                           const std::string& doc = {});
  void remove_interface_input(const std::string& name);

  // Semantic equality (ignores layout, base_dir and source_file).
  bool same_semantics(const Graph& o) const;

  // Unique per graph object (copies get a new one) and bumped by every edit.
  std::uint64_t uid() const { return uid_; }
  std::uint64_t revision() const { return revision_; }

  // Direct mutable access for loaders; call touch() afterwards.
  std::map<std::string, NodeInstance>& mutable_nodes() { return nodes_; }
  std::map<std::string, Endpoint>& mutable_outputs() { return outputs_; }
  std::map<std::string, Variable>& mutable_variables() { return variables_; }
  std::map<std::string, InterfaceInput>& mutable_interface_inputs() { return interface_inputs_; }
  void touch() { ++revision_; }

 private:
  NodeInstance& node_or_throw(const std::string& id);
  std::map<std::string, NodeInstance> nodes_;
  std::map<std::string, Endpoint> outputs_;
  std::map<std::string, Variable> variables_;
  std::map<std::string, InterfaceInput> interface_inputs_;
  std::uint64_t uid_;
  std::uint64_t revision_ = 0;
};

}  // namespace sumi
