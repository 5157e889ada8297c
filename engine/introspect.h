// Machine-readable views of the registry and of graphs, used by `sumi nodes`,
// `sumi dot`, the editor and the docs.
//
//   std::cout << registry_to_json(reg);   // every descriptor
//   std::cout << graph_to_dot(graph);     // Graphviz
//
// Thread safety: pure functions over immutable inputs.
#pragma once

#include <string>

#include "engine/graph.h"
#include "engine/registry.h"

namespace sumi {

// {"format": "sumi.nodes", "version": 1, "nodes": [ {id, version, category, doc,
//   cacheable, output_node, origin ("built-in", a plugin file or "python: FILE"), inputs: [{name, kind, required, doc}], outputs: [...],
//   params: [{name, type, default, min?, max?, choices?, length?, doc}]} ]}
std::string registry_to_json(const Registry& reg);
std::string descriptor_to_json(const NodeDescriptor& d);
// One parameter as in registry_to_json: {name, type, default, min?, max?, ...}.
std::string param_spec_to_json(const ParamSpec& p);

// Nodes labelled "id\ntype", links labelled "out -> in", graph outputs as
// double octagons; subgraph instances expanded, as (nested) clusters labelled
// "instance (file)".
std::string graph_to_dot(const Graph& g);

}  // namespace sumi
