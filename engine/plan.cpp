#include "engine/plan.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include "engine/error.h"
#include "engine/hash.h"
#include "engine/subgraph.h"
#include "engine/validate.h"

namespace sumi {
namespace {

using BGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty() || base_dir.empty()) return p;
  std::filesystem::path path(p);
  if (path.is_absolute()) return p;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void hash_param(Hasher& h, const ParamValue& v) {
  h.add(v.index());
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) h.add(std::string_view(x));
        else if constexpr (std::is_same_v<T, std::vector<double>>) {
          h.add(x.size());
          h.bytes(x.data(), x.size() * sizeof(double));
        } else h.add(x);
      },
      v);
}

}  // namespace

int Plan::index_of(std::string_view id) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

PortRef Plan::resolve(const std::string& name) const {
  if (auto it = outputs.find(name); it != outputs.end()) return it->second;
  auto dot = name.find('.');
  int n = index_of(dot == std::string::npos ? std::string_view(name) : std::string_view(name).substr(0, dot));
  if (n >= 0) {
    const auto& d = *nodes[static_cast<std::size_t>(n)].desc;
    int port = dot == std::string::npos ? (d.outputs.empty() ? -1 : 0) : d.output_index(name.substr(dot + 1));
    if (port >= 0) return {n, port};
  }
  std::string known;
  for (const auto& [o, ref] : outputs) known += (known.empty() ? "" : ", ") + o;
  ErrorContext ctx;
  ctx.file = source_file;
  throw Error(ctx, "unknown output '" + name + "' (graph outputs: " + (known.empty() ? "none" : known) +
                       "; or use \"node.port\")");
}

std::shared_ptr<const std::vector<char>> Plan::needed_for(const std::vector<std::string>& requested) const {
  {
    std::lock_guard<std::mutex> lock(memo_mutex_);
    if (requested.empty() && all_) return all_;
    if (auto it = memo_.find(requested); it != memo_.end()) return it->second;
  }
  std::vector<int> roots;
  if (requested.empty()) {
    for (const auto& [name, ref] : outputs) roots.push_back(ref.node);
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].desc->output_node) roots.push_back(static_cast<int>(i));
    if (roots.empty())
      for (std::size_t i = 0; i < nodes.size(); ++i) roots.push_back(static_cast<int>(i));
  } else {
    for (const auto& name : requested) roots.push_back(resolve(name).node);
  }
  // Reverse reachability: everything upstream of the requested nodes.
  BGraph bg(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (int s : nodes[i].successors) boost::add_edge(i, static_cast<std::size_t>(s), bg);
  auto rg = boost::make_reverse_graph(bg);
  std::vector<boost::default_color_type> color(nodes.size(), boost::white_color);
  auto cmap = boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, rg));
  std::vector<char> need(nodes.size(), 0);
  for (int r : roots) {
    if (color[static_cast<std::size_t>(r)] != boost::white_color) continue;
    boost::breadth_first_visit(rg, static_cast<std::size_t>(r), boost::color_map(cmap));
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) need[i] = color[i] != boost::white_color;
  // Output nodes fed entirely by needed nodes (topological order: a chain of
  // them is followed).
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const PlanNode& n = nodes[i];
    if (need[i] || !n.desc->output_node || n.predecessors.empty()) continue;
    need[i] = std::all_of(n.predecessors.begin(), n.predecessors.end(),
                          [&](int p) { return need[static_cast<std::size_t>(p)] != 0; });
  }
  auto shared = std::make_shared<const std::vector<char>>(std::move(need));
  std::lock_guard<std::mutex> lock(memo_mutex_);
  if (requested.empty()) all_ = shared;
  else memo_.emplace(requested, shared);
  return shared;
}

std::vector<std::string> never_run_nodes(const Plan& plan) {
  auto need = plan.needed_for({});
  // A subgraph's outputs are optional: inside an instance that runs at all,
  // nodes feeding only its unused outputs are not reported.
  auto instance_of = [](const std::string& id) { return id.substr(0, id.find('/')); };
  std::set<std::string> running;
  for (std::size_t i = 0; i < plan.nodes.size(); ++i)
    if ((*need)[i] && plan.nodes[i].id.find('/') != std::string::npos) running.insert(instance_of(plan.nodes[i].id));
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < plan.nodes.size(); ++i)
    if (!(*need)[i] && !(plan.nodes[i].id.find('/') != std::string::npos && running.count(instance_of(plan.nodes[i].id))))
      ids.push_back(plan.nodes[i].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

namespace {

// compile() after validation: the graph has no instances or variables and no errors.
std::shared_ptr<Plan> compile_validated(const Graph& g, const Registry& reg) {
  std::vector<std::string> ids;
  for (const auto& [id, n] : g.nodes()) ids.push_back(id);
  auto index = [&](const std::string& id) {
    return static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
  BGraph bg(ids.size());
  for (const auto& [id, n] : g.nodes())
    for (const auto& [port, src] : n.inputs) boost::add_edge(index(src.node), index(id), bg);
  std::vector<std::size_t> reversed;
  boost::topological_sort(bg, std::back_inserter(reversed));  // acyclic: validate() checked
  std::vector<std::size_t> order(reversed.rbegin(), reversed.rend());
  std::vector<int> position(ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = static_cast<int>(i);

  auto plan = std::make_shared<Plan>();
  plan->source_file = g.source_file;
  plan->base_dir = g.base_dir;
  plan->nodes.resize(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string& id = ids[order[i]];
    const NodeInstance& inst = *g.node(id);
    PlanNode& pn = plan->nodes[i];
    pn.id = id;
    pn.desc = reg.find_shared(inst.type);
    const NodeDescriptor& d = *pn.desc;
    Hasher h;
    h.add(std::string_view(d.id)).add(d.version).add(d.implementation);
    for (std::size_t p = 0; p < d.params.size(); ++p) {
      const ParamSpec& spec = d.params[p];
      auto it = inst.params.find(spec.name);
      ParamValue v = it == inst.params.end() ? spec.def : it->second;
      check_param(spec, v);  // normalises int/float; validity was checked by validate()
      if (spec.type == ParamType::Path || spec.type == ParamType::Model) {
        v = resolve_path(g.base_dir, std::get<std::string>(v));
        pn.file_params.push_back(static_cast<int>(p));
        (spec.file_access() == PathAccess::Write ? pn.written_params : pn.read_params).push_back(static_cast<int>(p));
      }
      hash_param(h, v);
      pn.params.push_back(std::move(v));
    }
    pn.static_key = h.digest();
    pn.inputs.resize(d.inputs.size());
    for (const auto& [port, src] : inst.inputs) {
      int src_index = position[index(src.node)];
      const auto& src_desc = *reg.find(g.node(src.node)->type);
      pn.inputs[static_cast<std::size_t>(d.input_index(port))] = {src_index, src_desc.output_index(src.port)};
      pn.predecessors.push_back(src_index);
    }
    std::sort(pn.predecessors.begin(), pn.predecessors.end());
    pn.predecessors.erase(std::unique(pn.predecessors.begin(), pn.predecessors.end()), pn.predecessors.end());
  }
  for (std::size_t i = 0; i < plan->nodes.size(); ++i)
    for (int p : plan->nodes[i].predecessors) plan->nodes[static_cast<std::size_t>(p)].successors.push_back(static_cast<int>(i));
  for (const auto& [name, src] : g.outputs()) {
    int n = position[index(src.node)];
    plan->outputs[name] = {n, plan->nodes[static_cast<std::size_t>(n)].desc->output_index(src.port)};
  }
  return plan;
}

}  // namespace

std::shared_ptr<const Plan> compile(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  if (g.uses_subgraph_features()) {
    Expansion x = expand_subgraphs(g, reg, sandbox);
    auto errors = validate_expansion(x, reg);
    if (!errors.empty()) throw ValidationError(std::move(errors));
    auto plan = compile_validated(x.graph, reg);
    plan->subgraph_files = std::move(x.files);
    return plan;
  }
  return compile_flat(g, reg);
}

std::shared_ptr<const Plan> compile_flat(const Graph& g, const Registry& reg) {
  auto errors = validate_flat(g, reg);
  if (!errors.empty()) throw ValidationError(std::move(errors));
  return compile_validated(g, reg);
}

}  // namespace sumi
