// Plans: a validated graph compiled for execution. Nodes in topological order
// with their descriptors, parameters (defaults filled in, checked, relative
// paths resolved), input sources as indices, and a per-node static cache key.
//
//   std::shared_ptr<const Plan> plan = compile(graph, registry);  // throws ValidationError
//   auto need = plan->needed_for({"image"});                      // partial execution
//
// Thread safety: a Plan is immutable after compile(); needed_for() is safe to
// call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/descriptor.h"
#include "engine/graph.h"
#include "engine/registry.h"

namespace sumi {

struct PortRef {
  int node = -1;  // index into Plan::nodes, -1 = unconnected
  int port = -1;  // output port index on that node
};

struct PlanNode {
  std::string id;
  std::shared_ptr<const NodeDescriptor> desc;
  std::vector<ParamValue> params;  // in desc->params order
  std::vector<PortRef> inputs;     // in desc->inputs order
  std::vector<int> successors;     // distinct consumers, ascending
  std::vector<int> predecessors;   // distinct producers, ascending
  std::vector<int> file_params;    // indices of Path/Model params (sandbox-checked per run)
  std::vector<int> read_params;    // those the node reads (fingerprinted into the cache key per run)
  std::vector<int> written_params;  // those it only writes (an output node's files)
  std::uint64_t static_key = 0;    // type, version and parameter values
};

class Plan {
 public:
  std::vector<PlanNode> nodes;  // topological order
  std::map<std::string, PortRef> outputs;
  std::string source_file;
  std::string base_dir;
  // Subgraph files the graph's instances were read from (resolved): a session
  // recompiles when one changes, a sandbox checks them. Node ids inside
  // instances are "instance/inner".
  std::vector<std::string> subgraph_files;

  int index_of(std::string_view id) const;  // -1 when absent
  // Which nodes the named graph outputs need (when `outputs` is empty: all
  // graph outputs and output nodes, NodeDescriptor::output_node; when the
  // graph has neither, every node). Entries may also be node ids or
  // "node.port". An output node whose inputs all come from needed nodes is
  // needed too (it costs only its write). Throws sumi::Error for an unknown
  // name. Memoised per output list; the result is shared, not copied.
  std::shared_ptr<const std::vector<char>> needed_for(const std::vector<std::string>& outputs) const;
  // The port a name refers to: a graph output, "node.port", or a node id
  // (its first output).
  PortRef resolve(const std::string& name) const;

 private:
  mutable std::mutex memo_mutex_;
  mutable std::map<std::vector<std::string>, std::shared_ptr<const std::vector<char>>> memo_;
  mutable std::shared_ptr<const std::vector<char>> all_;  // for the common empty list, read without the map
};

// The nodes no run of the whole graph computes: neither a graph output, nor
// an output node, nor upstream of one (`sumi validate` warns about them).
// Inside a subgraph instance of which some node runs, nodes that feed only
// unused outputs of the instance are left out (a subgraph's outputs are optional).
std::vector<std::string> never_run_nodes(const Plan& plan);

// Validates and compiles, expanding subgraph instances and variables
// (engine/subgraph.h). Throws ValidationError listing every problem.
// With a sandbox, subgraph files outside its readable folders are errors.
class Sandbox;
std::shared_ptr<const Plan> compile(const Graph& g, const Registry& reg, const Sandbox* sandbox = nullptr);
// As compile() for a graph without instances or variables.
std::shared_ptr<const Plan> compile_flat(const Graph& g, const Registry& reg);

}  // namespace sumi
