// What the editor needs to draw subgraph instances: a graph file's interface
// (its inputs, outputs and parameters, with each parameter's type and range
// taken from the inner parameter it sets) and, for each instance in a graph,
// the instantiated file's graph and interface, nested instances included.
//
//   Json j = interface_json(g, registry, sandbox);        // {inputs, outputs, params}
//   Json s = subgraphs_json(g, registry, sandbox);        // {"part_chain.sumi.json": {graph, interface, subgraphs}}
//
// Subgraph files resolve against the including graph's folder and, with a
// sandbox, only inside its readable folders (anything else is listed with an
// "error", not read).
//
// Thread safety: pure functions (they read subgraph files).
#pragma once

#include "editor/server/api_error.h"
#include "engine/graph.h"
#include "engine/registry.h"
#include "engine/sandbox.h"

namespace sumi::editor {

// {"inputs": [{name, kind, doc}], "outputs": [{name, kind}], "params": [{name, type, default, min?, max?,
//  choices?, live?, doc}]}: a parameter's type and range are those of the first inner parameter it sets
//  ("type": "variable" when it sets none at this level).
Json interface_json(const Graph& g, const Registry& reg, const Sandbox* sandbox);

// For each distinct "file" of the graph's instances, as written: {"file", "graph", "interface",
// "subgraphs"} (nested instances, relative to that file), or {"file", "error"}; at most 512
// entries in all (each file read and described once), the rest listed with an "error".
Json subgraphs_json(const Graph& g, const Registry& reg, const Sandbox* sandbox);

}  // namespace sumi::editor
