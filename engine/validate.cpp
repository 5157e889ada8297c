#include "engine/validate.h"

#include <algorithm>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

#include "engine/subgraph.h"

namespace sumi {
namespace {

// Edit distance for "did you mean" suggestions.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

template <typename Names>
std::string suggest(const std::string& name, const Names& candidates) {
  std::string best;
  std::size_t best_d = 3;  // suggest only close matches
  for (const std::string& c : candidates) {
    std::size_t d = distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

template <typename Specs>
std::vector<std::string> names_of(const Specs& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.name);
  return out;
}

std::string list_or_none(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

using BGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

struct CycleFinder : boost::default_dfs_visitor {
  std::vector<std::size_t>* parent;
  std::vector<std::size_t>* cycle;
  void tree_edge(BGraph::edge_descriptor e, const BGraph& g) const {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(BGraph::edge_descriptor e, const BGraph& g) const {
    if (!cycle->empty()) return;
    std::size_t from = boost::source(e, g), to = boost::target(e, g);
    // Walk the DFS tree from `from` back up to `to`.
    std::vector<std::size_t> path{from};
    while (path.back() != to) path.push_back((*parent)[path.back()]);
    std::reverse(path.begin(), path.end());
    path.push_back(to);
    *cycle = std::move(path);
  }
};

}  // namespace

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  return suggest(name, candidates);
}

std::vector<std::string> find_cycle(const Graph& g) {
  std::vector<std::string> ids;
  for (const auto& [id, n] : g.nodes()) ids.push_back(id);
  auto index = [&](const std::string& id) -> std::size_t {
    return static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
  BGraph bg(ids.size());
  for (const auto& [id, n] : g.nodes())
    for (const auto& [port, src] : n.inputs)
      if (g.node(src.node)) boost::add_edge(index(src.node), index(id), bg);
  std::vector<std::size_t> parent(ids.size()), cycle;
  for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  CycleFinder vis;
  vis.parent = &parent;
  vis.cycle = &cycle;
  boost::depth_first_search(bg, boost::visitor(vis));
  std::vector<std::string> out;
  for (std::size_t v : cycle) out.push_back(ids[v]);
  return out;
}

namespace {

// Inputs fed through the graph's interface (when it is used as a subgraph).
bool fed_by_interface(const Graph& g, const std::string& node, const std::string& port) {
  for (const auto& [name, in] : g.interface_inputs())
    for (const Endpoint& t : in.to)
      if (t.node == node && t.port == port) return true;
  return false;
}

}  // namespace

std::vector<Error> validate(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  if (!g.uses_subgraph_features()) return validate_flat(g, reg);
  Expansion x = expand_subgraphs(g, reg, sandbox);
  return validate_expansion(x, reg);
}

std::vector<Error> validate_expansion(const Expansion& x, const Registry& reg) {
  std::vector<Error> errors = x.errors;
  for (Error& e : validate_flat(x.graph, reg)) {
    auto it = x.trail_of.find(e.context().node);
    if (it == x.trail_of.end()) {
      errors.push_back(std::move(e));
      continue;
    }
    ErrorContext ctx = e.context();
    ctx.file = it->second;
    errors.emplace_back(std::move(ctx), e.message());
  }
  return errors;
}

std::vector<Error> validate_flat(const Graph& g, const Registry& reg) {
  std::vector<Error> errors;
  const std::string& file = g.source_file;
  std::vector<std::string> all_types;
  for (const NodeDescriptor* d : reg.all()) all_types.push_back(d->id);

  for (const auto& [id, n] : g.nodes()) {
    ErrorContext ctx{file, id, n.type, {}, {}};
    const NodeDescriptor* d = reg.find(n.type);
    if (!d) {
      std::string hint = suggest(n.type, all_types);
      if (hint.empty()) hint = " (if a plugin defines it, load the plugin: docs/plugins.md)";
      errors.emplace_back(ctx, "unknown node type '" + n.type + "'" + hint);
      continue;
    }
    for (const auto& [name, value] : n.params) {
      ErrorContext pctx = ctx;
      pctx.param = name;
      const ParamSpec* spec = d->param(name);
      if (!spec) {
        errors.emplace_back(pctx, "unknown parameter" + suggest(name, names_of(d->params)) +
                                      "; parameters: " + list_or_none(names_of(d->params)));
        continue;
      }
      ParamValue v = value;
      if (auto e = check_param(*spec, v); !e.empty()) errors.emplace_back(pctx, e);
    }
    for (const auto& [port, src] : n.inputs) {
      ErrorContext pctx = ctx;
      pctx.port = port;
      const PortSpec* in = d->input(port);
      if (!in) {
        errors.emplace_back(pctx, "unknown input port" + suggest(port, names_of(d->inputs)) +
                                      "; inputs: " + list_or_none(names_of(d->inputs)));
        continue;
      }
      const NodeInstance* sn = g.node(src.node);
      if (!sn) {
        errors.emplace_back(pctx, "linked from '" + src.str() + "', but there is no node '" + src.node + "'");
        continue;
      }
      const NodeDescriptor* sd = reg.find(sn->type);
      if (!sd) continue;  // reported on the source node itself
      const PortSpec* out = sd->output(src.port);
      if (!out) {
        errors.emplace_back(pctx, "linked from '" + src.str() + "', but " + sn->type + " has no output '" +
                                      src.port + "'" + suggest(src.port, names_of(sd->outputs)) +
                                      "; outputs: " + list_or_none(names_of(sd->outputs)));
        continue;
      }
      if (!kind_accepts(in->kind, out->kind))
        errors.emplace_back(pctx, "type mismatch: '" + src.str() + "' is " + std::string(kind_name(out->kind)) +
                                      ", input expects " + std::string(kind_name(in->kind)));
    }
    for (const PortSpec& in : d->inputs) {
      if (in.required && !n.inputs.count(in.name) && !fed_by_interface(g, id, in.name)) {
        ErrorContext pctx = ctx;
        pctx.port = in.name;
        errors.emplace_back(pctx, "required input is not connected (expects " + std::string(kind_name(in.kind)) + ")");
      }
    }
  }
  for (const auto& [name, src] : g.outputs()) {
    ErrorContext ctx{file, {}, {}, name, {}};
    const NodeInstance* sn = g.node(src.node);
    if (!sn) {
      errors.emplace_back(ctx, "graph output refers to '" + src.str() + "', but there is no node '" + src.node + "'");
      continue;
    }
    const NodeDescriptor* sd = reg.find(sn->type);
    if (sd && !sd->output(src.port))
      errors.emplace_back(ctx, "graph output refers to '" + src.str() + "', but " + sn->type + " has no output '" +
                                   src.port + "'; outputs: " + list_or_none(names_of(sd->outputs)));
  }
  for (const auto& [name, in] : g.interface_inputs())
    for (const Endpoint& t : in.to) {
      const NodeInstance* n = g.node(t.node);
      const NodeDescriptor* d = n ? reg.find(n->type) : nullptr;
      if (d && !d->input(t.port))
        errors.emplace_back(ErrorContext{file, t.node, n->type, t.port, {}},
                            "interface input '" + name + "' feeds an unknown input port" +
                                suggest(t.port, names_of(d->inputs)) + "; inputs: " + list_or_none(names_of(d->inputs)));
    }
  auto cycle = find_cycle(g);
  if (!cycle.empty()) {
    std::string path;
    for (const auto& id : cycle) path += (path.empty() ? "" : " -> ") + id;
    ErrorContext ctx{file, cycle.front(), g.node(cycle.front())->type, {}, {}};
    errors.emplace_back(ctx, "cycle: " + path);
  }
  return errors;
}

namespace {
std::string join_errors(const std::vector<Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "\n") + std::string(e.what());
  return out;
}
}  // namespace

ValidationError::ValidationError(std::vector<Error> errors)
    : Error(ErrorContext{}, join_errors(errors)),
      errors_(std::move(errors)) {}

}  // namespace sumi
