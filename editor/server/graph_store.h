// The graphs folder the editor lists, loads and saves: names are plain file
// names ending in .sumi.json; anything that would reach outside the folder is
// refused (ApiError 403), anything else malformed too (ApiError 400).
//
//   GraphStore store("graphs");
//   Graph g = store.load("sketch_parts.sumi.json");
//
// Thread safety: list/load/save may run concurrently (saves are atomic).
#pragma once

#include <string>
#include <vector>

#include "editor/server/api_error.h"
#include "engine/graph.h"

namespace sumi::editor {

class GraphStore {
 public:
  explicit GraphStore(const std::string& dir);
  const std::string& dir() const { return dir_; }

  // [{"file": "x.sumi.json", "name": ..., "doc": ..., "nodes": N, "outputs": [...], "subgraph": has
  // interface inputs}] sorted by file;
  // files that do not load are listed with "error".
  Json list() const;
  // The absolute path for `file`; throws ApiError 400/403.
  std::string resolve(const std::string& file) const;
  // Throws ApiError 404 when missing, sumi::Error when malformed.
  Graph load(const std::string& file) const;
  void save(const std::string& file, const Graph& g) const;

 private:
  std::string dir_;  // absolute, normalised
};

}  // namespace sumi::editor
