// Reading a run request of the editor API into a graph and run inputs:
//
//   { "graph": "sketch_parts.sumi.json" | { ...a graph file's JSON... },
//     "inputs": { "draw": { ...a strokes file's JSON... },
//                 "locate.frame": { ...a Frame document... } },   // optional: pins face.locate's answer
//     "params": { "sketch.size": 256 },
//     "outputs": ["parts"],
//     "inline_pixels": true, "shown": { "sketch": "<hash>" } }
//
// With inline_pixels the reply carries the changed images' pixels
// (pixel_reply.h); "shown" names what the client has on screen.
//
// Unknown nodes and parameters are refused here (ApiError 400, naming them);
// types, ports and values are checked when the engine compiles the graph.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "editor/server/api_error.h"
#include "editor/server/graph_store.h"
#include "engine/graph.h"
#include "engine/registry.h"
#include "engine/value.h"

namespace sumi::editor {

struct RunRequest {
  Graph graph;
  std::map<std::string, Value> inputs;  // fed node outputs
  std::vector<std::string> outputs;     // empty = all graph outputs
  bool inline_pixels = false;           // reply with the images' pixels (pixel_reply.h)
  std::map<std::string, std::string> shown;  // output name -> content hash on the client's screen
};

RunRequest parse_run_request(const Json& body, const Registry& registry, const GraphStore& store);

// A graph from the API: a file name in the store or the graph's JSON (its
// relative paths resolve against the graphs folder).
Graph graph_from_json(const Json& j, const GraphStore& store);

// JSON -> parameter value (bool, integer, number, string, list of numbers).
ParamValue param_from_json(const Json& j, const std::string& what);

}  // namespace sumi::editor
