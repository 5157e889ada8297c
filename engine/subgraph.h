// Subgraphs: expanding instances of graph files into their inner nodes.
//
// An instance is a node of type "subgraph" whose parameter "file" names a
// graph file (relative to the including graph's folder). Its other parameters
// set the file's variables; its inputs feed the file's interface inputs; its
// outputs are the file's graph outputs. Expansion replaces each instance by
// the file's nodes, their ids prefixed by the instance path ("left_eye/project",
// "face/left_eye/project"), substitutes "$name" parameter values by variables
// (a literal leading '$' is written "$$"), and resolves links through
// instances, so the plan, the cache and run reports work per inner node.
//
//   Expansion x = expand_subgraphs(graph, registry);
//   for (const Error& e : x.errors) ...;      // cycles, missing files, unknown variables...
//   compile_flat(x.graph, registry);
//
// Errors inside an instance name the path through instances in their file
// field: "deepfacedrawing.sumi.json > left_eye (part_chain.sumi.json)", with
// the flat node id ("left_eye/project").
//
// Relative Path/Model parameters inside a subgraph resolve against the folder
// of the file the value was written in (a subgraph's own folder for its
// literals and variable defaults, the including graph's for instance
// parameters).
//
// Thread safety: pure functions (they read subgraph files).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/graph.h"
#include "engine/registry.h"

namespace sumi {

class Sandbox;

// Limits against hostile files: nesting depth and expanded node count.
inline constexpr int kMaxSubgraphDepth = 16;
inline constexpr std::size_t kMaxExpandedNodes = 20000;

struct SubgraphInstanceInfo {
  std::string path;   // flat id prefix without the trailing '/': "left_eye", "face/left_eye"
  std::string file;   // the subgraph file, resolved
  std::string trail;  // as errors name it: "top.sumi.json > left_eye (part_chain.sumi.json)"
};

struct Expansion {
  Graph graph;  // no instances, no variables; the top graph's interface inputs kept
  std::vector<Error> errors;
  std::map<std::string, std::string> trail_of;  // flat id of an inner node -> its trail
  std::vector<SubgraphInstanceInfo> instances;  // in expansion order (parents first)
  std::vector<std::string> files;               // subgraph files read (resolved, distinct)
};

// Best effort: the flat graph holds every node that could be expanded, and
// `errors` lists what could not. Node types, ports and parameter values are
// left to validate().
// With a sandbox, a subgraph file outside its readable folders is an error,
// not read.
Expansion expand_subgraphs(const Graph& g, const Registry& reg, const Sandbox* sandbox = nullptr);

// As expand_subgraphs(), throwing ValidationError when it found errors.
// Returns a copy of `g` when it uses no subgraph features.
Graph expand_graph(const Graph& g, const Registry& reg);

// The interface of a graph used as a subgraph, for tools (Python, editor):
// its inputs with the kinds of the inner ports they feed, its outputs with
// their kinds, and its parameters (variables). Unknown kinds are "".
struct SubgraphInterface {
  struct Port {
    std::string name, kind, doc;
    std::vector<std::string> to;  // inputs: inner "node.port"; outputs: the one source
  };
  struct Param {
    std::string name;
    ParamValue def;
    std::string doc;
    // Where it is used at this level: "node.param" of the parameters written
    // "$name" (instance parameters included), for tools that show a control
    // of the parameter's type and range.
    std::vector<std::string> uses;
  };
  std::vector<Port> inputs, outputs;
  std::vector<Param> params;
};
// With a sandbox, nested subgraph files outside its readable folders are not read.
SubgraphInterface describe_interface(const Graph& g, const Registry& reg, const Sandbox* sandbox = nullptr);

}  // namespace sumi
