// Input-file checks: the files a graph's nodes would read (Path parameters
// declared `reads()`, Model parameters) exist and can be read. `sumi validate`
// runs them; a run does not (a fed node does not read its file, and the node
// that opens a file reports its own error).
//
//   for (const Error& e : check_input_files(*compile(graph, reg))) std::cerr << e.what() << "\n";
//
// Thread safety: a pure function over an immutable plan (reads the disk).
#pragma once

#include <vector>

#include "engine/error.h"
#include "engine/plan.h"

namespace sumi {

// One error per unreadable file, naming the node, the parameter and the path
// ("graph.sumi.json: node 'load' (io.load_image): param 'path': input file
// 'faces/a.png' does not exist"). Empty paths (a node's "none") are skipped.
std::vector<Error> check_input_files(const Plan& plan);

}  // namespace sumi
