// Node descriptors: what a node type is, declared once, read by everything
// (validation, executor, CLI `sumi nodes`, the editor, Python, the docs).
//
//   NodeDescriptor d;
//   d.id = "image.invert"; d.version = 1; d.doc = "1 - x";
//   d.inputs = {PortSpec::in("image", ValueKind::Image, "image to invert")};
//   d.outputs = {PortSpec::out("image", ValueKind::Image, "inverted image")};
//   d.compute = [](NodeContext& ctx) { ... ctx.set_output("image", ...); };
//
// A compute function must be a pure function of its inputs and parameters
// (the cache relies on it) unless `cacheable` is false (side effects, e.g.
// writing a file). It must not mutate its inputs.
//
// An output node (`output_node`, e.g. io.save_image) writes files: a run of
// the whole graph runs it as if it were a graph output, and a run of chosen
// outputs runs it when everything it reads is computed anyway. When it is
// cacheable, a cache hit still re-runs it if a file it wrote (its write-access
// Path parameters) was deleted or changed since.
//
// Thread safety: descriptors are immutable once registered; compute may run
// concurrently on several threads for different nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/param.h"
#include "engine/value.h"

namespace sumi {

class NodeContext;

struct PortSpec {
  std::string name;
  ValueKind kind = ValueKind::Image;
  bool required = true;  // inputs only
  std::string doc;

  static PortSpec in(std::string name, ValueKind kind, std::string doc) { return {std::move(name), kind, true, std::move(doc)}; }
  static PortSpec optional(std::string name, ValueKind kind, std::string doc) {
    return {std::move(name), kind, false, std::move(doc)};
  }
  static PortSpec out(std::string name, ValueKind kind, std::string doc) { return {std::move(name), kind, true, std::move(doc)}; }
};

using ComputeFn = std::function<void(NodeContext&)>;

struct NodeDescriptor {
  std::string id;        // stable, "domain.name"
  int version = 1;       // bump when results change: invalidates cached results
  std::string category;  // for palettes: "io", "image", "sketch", ...
  std::string doc;       // one line
  std::vector<PortSpec> inputs;
  std::vector<PortSpec> outputs;
  std::vector<ParamSpec> params;
  bool cacheable = true;  // false for nodes with side effects
  bool output_node = false;  // writes files: runs without being a graph output (see above)
  // Part of the cache key next to id and version: distinguishes
  // implementations registered under one id in one process (a Python node
  // redefined in a session must not be served its old results).
  std::uint64_t implementation = 0;
  // Where the type comes from, for `sumi nodes`, the editor and Python: empty
  // for the built-in nodes, the plugin file for a plugin's (engine/plugins.h),
  // "python: FILE" for a node defined by @sumi.node in a Python program.
  std::string origin;
  ComputeFn compute;

  const PortSpec* input(std::string_view name) const;
  const PortSpec* output(std::string_view name) const;
  const ParamSpec* param(std::string_view name) const;
  int input_index(std::string_view name) const;   // -1 when absent
  int output_index(std::string_view name) const;  // -1 when absent
  int param_index(std::string_view name) const;   // -1 when absent
};

}  // namespace sumi
