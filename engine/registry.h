// The registry of node types. Not global: each program or session owns one,
// filled by explicit per-module calls (register_image_nodes(registry), ...),
// so nothing depends on static initialisers that a linker may drop.
//
//   Registry reg; register_all_nodes(reg);
//   const NodeDescriptor* d = reg.find("sketch.rasterise");
//
// Thread safety: add() is not thread-safe; find()/all() are safe to call
// concurrently once registration is done.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/descriptor.h"

namespace sumi {

class Registry {
 public:
  // Throws sumi::Error on a duplicate id, a malformed id, missing compute, or
  // an invalid default parameter value.
  void add(NodeDescriptor d);
  // Replaces an existing type (e.g. a Python re-definition); adds if absent.
  void replace(NodeDescriptor d);
  const NodeDescriptor* find(std::string_view id) const;
  // As find(), sharing ownership: plans hold these so that replace() cannot
  // pull a descriptor out from under a running graph.
  std::shared_ptr<const NodeDescriptor> find_shared(std::string_view id) const;
  // All descriptors, sorted by id.
  std::vector<const NodeDescriptor*> all() const;
  std::size_t size() const { return types_.size(); }
  // Counts add() and replace() calls: a session recompiles its plan when the
  // types it was built from may have changed.
  std::uint64_t revision() const { return revision_; }

 private:
  std::map<std::string, std::shared_ptr<const NodeDescriptor>, std::less<>> types_;
  std::uint64_t revision_ = 0;
};

}  // namespace sumi
