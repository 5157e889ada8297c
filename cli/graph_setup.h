// Set-up shared by `sumi run` and `sumi batch`: --set and --in on a graph,
// and writing a run's outputs as files.
//
//   apply_set(g, reg, "sketch.size=512");
//   apply_in(g, reg, "draw=my.strokes.json");
//   WrittenOutput w = write_output("out/portrait", "portrait", value, nullptr);  // out/portrait.png
//
// Thread safety: pure functions (write_output writes atomically).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sumi {
class CancelToken;
class Graph;
class Registry;
class Sandbox;
class Value;
}  // namespace sumi

namespace sumi::cli {

// "NAME=VALUE" -> {NAME, VALUE}; throws sumi::Error naming `what` (e.g. "--set").
std::pair<std::string, std::string> split_assignment(const std::string& text, const char* what);
std::string absolute(const std::string& path);

// --set node.param=value: the value is read according to the parameter's type.
// --set name=value (no dot): a graph variable ("$name" in parameters), read
// as its current value's type. On a subgraph instance, node.param sets one of
// the subgraph's parameters (numbers, booleans, lists as JSON; else text).
void apply_set(Graph& g, const Registry& reg, const std::string& text);
// Checks that `node` is an input node reading a file (a 'path' parameter); throws naming it otherwise.
void check_input_node(const Graph& g, const Registry& reg, const std::string& node);
// --in node=file: sets the file parameter ("path") of an input node. A folder
// or a pattern is refused with a pointer to `sumi batch`.
void apply_in(Graph& g, const Registry& reg, const std::string& text);

// Refuses to write `path` outside the sandbox (when there is one); `output` names the output.
void check_write(const Sandbox* box, const std::string& path, const std::string& output);

struct WrittenOutput {
  std::vector<std::string> files;  // what was written (a part set writes one file per part)
  std::string text;                // for values that are not files: "name = description"
};
// Writes output `name` as `base` + ".png" (images, masks; "_<part>.png" per
// part of a part set) or ".strokes.json"; other values are only described.
// With `cancel`, throws Cancelled between rows of a PNG being encoded (a file
// is only written once whole, so a cancelled output leaves no file).
WrittenOutput write_output(const std::string& base, const std::string& name, const Value& v, const Sandbox* box,
                           const CancelToken* cancel = nullptr);

}  // namespace sumi::cli
