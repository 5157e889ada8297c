#include "engine/registry.h"

#include "engine/error.h"

namespace sumi {
namespace {

void check_descriptor(NodeDescriptor& d) {
  ErrorContext ctx;
  ctx.type = d.id;
  auto dot = d.id.find('.');
  if (d.id.empty() || dot == std::string::npos || dot == 0 || dot + 1 == d.id.size())
    throw Error(ctx, "node type id must look like 'domain.name'");
  if (!d.compute) throw Error(ctx, "node type has no compute function");
  for (auto& p : d.params) {
    ctx.param = p.name;
    if (auto e = check_param(p, p.def); !e.empty()) throw Error(ctx, "invalid default: " + e);
  }
  if (d.category.empty()) d.category = d.id.substr(0, dot);
}

}  // namespace

void Registry::add(NodeDescriptor d) {
  if (types_.count(d.id)) throw Error(ErrorContext{{}, {}, d.id, {}, {}}, "node type is already registered");
  check_descriptor(d);
  auto id = d.id;
  types_.emplace(std::move(id), std::make_shared<const NodeDescriptor>(std::move(d)));
  ++revision_;
}

void Registry::replace(NodeDescriptor d) {
  check_descriptor(d);
  auto id = d.id;
  types_[id] = std::make_shared<const NodeDescriptor>(std::move(d));
  ++revision_;
}

const NodeDescriptor* Registry::find(std::string_view id) const {
  auto it = types_.find(id);
  return it == types_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const NodeDescriptor> Registry::find_shared(std::string_view id) const {
  auto it = types_.find(id);
  return it == types_.end() ? nullptr : it->second;
}

std::vector<const NodeDescriptor*> Registry::all() const {
  std::vector<const NodeDescriptor*> out;
  out.reserve(types_.size());
  for (const auto& [id, d] : types_) out.push_back(d.get());
  return out;
}

}  // namespace sumi
