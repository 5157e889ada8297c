// Validation: every problem in a graph, found before anything runs.
//
//   for (const Error& e : validate(graph, registry)) std::cerr << e.what() << "\n";
//
// Checks: unknown node type; unknown input port, parameter or source port;
// links between ports of incompatible kinds; missing required inputs;
// parameter values of the wrong type or out of range; graph outputs naming
// missing nodes or ports; cycles (naming the nodes on the cycle). Duplicate
// node ids and malformed JSON are caught when the file is loaded.
//
// Thread safety: pure functions.
#pragma once

#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "engine/graph.h"
#include "engine/registry.h"

namespace sumi {

// Graphs with subgraph instances or variables are expanded first
// (engine/subgraph.h); errors inside an instance name the path through
// instances in their file field.
// With a sandbox, subgraph files outside its readable folders are errors.
class Sandbox;
std::vector<Error> validate(const Graph& g, const Registry& reg, const Sandbox* sandbox = nullptr);
// The checks on a graph without instances or variables (what validate() runs
// after expanding).
std::vector<Error> validate_flat(const Graph& g, const Registry& reg);
// validate() of an expansion already made: its errors, then the flat graph's
// with each inner node's path through instances.
struct Expansion;
std::vector<Error> validate_expansion(const Expansion& x, const Registry& reg);

// " (did you mean 'size'?)" when one of `candidates` is within two edits of
// `name`, else "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

// Thrown by compile() when validate() finds problems: what() lists them all,
// one per line; errors() has each with its context (the ValidationError's own
// context is empty).
class ValidationError : public Error {
 public:
  explicit ValidationError(std::vector<Error> errors);
  const std::vector<Error>& errors() const { return errors_; }

 private:
  std::vector<Error> errors_;
};

// Returns the node ids on a cycle in link order, first id repeated at the end
// ("a", "b", "a"), or an empty list when the graph is acyclic. Uses Boost.Graph.
std::vector<std::string> find_cycle(const Graph& g);

}  // namespace sumi
