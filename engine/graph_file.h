// Graph files (*.sumi.json), format "sumi.graph" version 2 (docs/graph_files.md,
// JSON Schema docs/graph.schema.json):
//
//   { "format": "sumi.graph", "version": 1, "name": "sketch_parts", "doc": "...",
//     "nodes": { "sketch": { "type": "sketch.rasterise",
//                            "in": { "strokes": "draw.strokes" },
//                            "params": { "size": 256 } } },
//     "outputs": { "image": "sketch.image" },
//     "layout": { "sketch": [40, 80] } }
//
// Version 2 adds "variables" and "interface" (subgraphs, engine/subgraph.h);
// a graph using neither, nor any subgraph instance, is still written as
// version 1, and version-1 files load unchanged.
//
// Parameters are named, links are "node.port", and the editor's layout is kept
// apart from semantics. Saving writes keys in a stable order and is atomic;
// load(save(g)) == g and save(load(file)) reproduces a saved file byte for byte.
//
// Loading checks structure (JSON syntax with line/column, format, version,
// field types); node types, ports and parameter values are checked by validate().
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "engine/graph.h"

namespace sumi {

constexpr int kGraphFormatVersion = 2;

Graph load_graph_file(const std::string& path);
// `source` names the text in error messages.
Graph parse_graph(std::string_view text, const std::string& source = "<graph>");
std::string graph_to_json(const Graph& g);
void save_graph_file(const Graph& g, const std::string& path);

}  // namespace sumi
