#include "engine/subgraph.h"

#include <filesystem>
#include <memory>
#include <optional>

#include "engine/graph_file.h"
#include "engine/sandbox.h"
#include "engine/validate.h"

namespace sumi {
namespace {

namespace fs = std::filesystem;

// A variable's value and the folder that relative paths in it resolve against
// (the folder of the file it was written in).
struct VarValue {
  ParamValue value;
  std::string dir;
};

struct InstanceState {
  enum { New, Expanding, Done, Failed } state = New;
  std::map<std::string, Endpoint> outputs;  // instance output -> flat source
  std::string file;                         // as written, for messages
};

// One graph being expanded: the top graph or one instance of a subgraph.
struct Level {
  const Graph* g = nullptr;
  std::string prefix;  // "" or "left_eye/"
  std::string trail;   // the file field of errors for nodes at this level
  std::string dir;     // this graph file's folder ("" = current directory)
  int depth = 0;
  std::map<std::string, VarValue> vars;
  std::map<std::string, std::optional<Endpoint>> iface;  // interface input -> flat source, if connected
  std::map<std::string, InstanceState> instances;
  std::vector<std::string> chain;        // file names from the top, for cycle messages
  std::vector<std::string> canon_chain;  // the same, resolved
  bool substitute = false;               // "$name" values name variables (version-2 graphs)
};

std::string join(const std::vector<std::string>& names, const char* sep = ", ") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : sep) + n;
  return out.empty() ? "none" : out;
}

template <typename Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

class Expander {
 public:
  Expander(const Registry& reg, Expansion& x, const Sandbox* sandbox) : reg_(reg), x_(x), sandbox_(sandbox) {}

  std::map<std::string, Endpoint> expand_level(Level& L) {
    check_interface(L);
    for (const auto& [id, n] : L.g->nodes()) {
      if (n.type == kSubgraphType) ensure_instance(L, id);
      else add_flat_node(L, id, n);
    }
    std::map<std::string, Endpoint> outputs;
    for (const auto& [name, src] : L.g->outputs()) {
      ErrorContext ctx{L.trail, {}, {}, name, {}};
      if (auto flat = resolve(L, src, ctx)) outputs[name] = *flat;
    }
    return outputs;
  }

 private:
  void error(ErrorContext ctx, std::string message) { x_.errors.emplace_back(std::move(ctx), std::move(message)); }

  ErrorContext node_ctx(const Level& L, const std::string& id, const std::string& type) const {
    return ErrorContext{L.trail, L.prefix + id, type, {}, {}};
  }

  void check_interface(const Level& L) {
    for (const auto& [name, in] : L.g->interface_inputs())
      for (const Endpoint& t : in.to) {
        const NodeInstance* n = L.g->node(t.node);
        if (!n) error(ErrorContext{L.trail, {}, {}, name, {}},
                      "interface input feeds '" + t.str() + "', but there is no node '" + t.node + "'");
        else if (n->inputs.count(t.port))
          error(ErrorContext{L.trail, L.prefix + t.node, n->type, t.port, {}},
                "fed by interface input '" + name + "' and linked from '" + n->inputs.at(t.port).str() + "'");
      }
  }

  // "$name" -> the variable's value; "$$x" -> "$x"; anything else as written.
  std::optional<VarValue> substitute(const Level& L, const ParamValue& v, const ErrorContext& ctx) {
    const auto* s = std::get_if<std::string>(&v);
    if (!L.substitute || !s || s->empty() || (*s)[0] != '$') return VarValue{v, L.dir};
    if (s->size() > 1 && (*s)[1] == '$') return VarValue{ParamValue(s->substr(1)), L.dir};
    const std::string name = s->substr(1);
    auto it = L.vars.find(name);
    if (it == L.vars.end()) {
      auto names = keys_of(L.vars);
      error(ctx, "unknown variable '$" + name + "'" + did_you_mean(name, names) + "; variables: " + join(names) +
                     " (write \"$$\" for a literal '$')");
      return std::nullopt;
    }
    return it->second;
  }

  void add_flat_node(Level& L, const std::string& id, const NodeInstance& n) {
    if (stop_) return;
    if (x_.graph.nodes().size() >= kMaxExpandedNodes) {
      error(node_ctx(L, id, n.type), "the graph expands to more than " + std::to_string(kMaxExpandedNodes) + " nodes");
      stop_ = true;
      return;
    }
    NodeInstance f;
    f.type = n.type;
    const NodeDescriptor* d = reg_.find(n.type);
    for (const auto& [name, value] : n.params) {
      ErrorContext ctx = node_ctx(L, id, n.type);
      ctx.param = name;
      auto v = substitute(L, value, ctx);
      if (!v) continue;
      // Relative files inside a subgraph: against the folder of the file that wrote them.
      const ParamSpec* spec = d ? d->param(name) : nullptr;
      auto* path = std::get_if<std::string>(&v->value);
      if (L.depth > 0 && spec && (spec->type == ParamType::Path || spec->type == ParamType::Model) && path &&
          !path->empty() && !v->dir.empty() && fs::path(*path).is_relative())
        v->value = (fs::path(v->dir) / *path).lexically_normal().string();
      f.params[name] = std::move(v->value);
    }
    for (const auto& [port, src] : n.inputs) {
      ErrorContext ctx = node_ctx(L, id, n.type);
      ctx.port = port;
      if (auto flat = resolve(L, src, ctx)) f.inputs[port] = *flat;
    }
    for (const auto& [name, in] : L.g->interface_inputs())
      for (const Endpoint& t : in.to)
        if (t.node == id && !n.inputs.count(t.port))
          if (auto it = L.iface.find(name); it != L.iface.end() && it->second) f.inputs[t.port] = *it->second;
    const std::string flat_id = L.prefix + id;
    x_.graph.mutable_nodes()[flat_id] = std::move(f);
    if (L.depth > 0) x_.trail_of[flat_id] = L.trail;
  }

  // A link source at level L, as a flat endpoint; through instances to their inner nodes.
  std::optional<Endpoint> resolve(Level& L, const Endpoint& src, const ErrorContext& ctx) {
    const NodeInstance* n = L.g->node(src.node);
    if (!n || n->type != kSubgraphType) return Endpoint{L.prefix + src.node, src.port};  // validate() reports a missing node
    InstanceState& st = ensure_instance(L, src.node);
    if (st.state != InstanceState::Done) {
      if (st.state == InstanceState::Expanding)
        error(ctx, "linked from '" + src.str() + "', which depends on this node (a cycle through subgraph instance '" +
                       src.node + "')");
      return std::nullopt;
    }
    auto it = st.outputs.find(src.port);
    if (it == st.outputs.end()) {
      auto names = keys_of(st.outputs);
      error(ctx, "linked from '" + src.str() + "', but " + st.file + " has no output '" + src.port + "'" +
                     did_you_mean(src.port, names) + "; outputs: " + join(names));
      return std::nullopt;
    }
    return it->second;
  }

  std::shared_ptr<const Graph> load(const std::string& canon, const std::string& path) {
    if (auto it = files_.find(canon); it != files_.end()) return it->second;
    auto g = std::make_shared<const Graph>(load_graph_file(path));
    files_[canon] = g;
    x_.files.push_back(canon);
    return g;
  }

  InstanceState& ensure_instance(Level& L, const std::string& id) {
    InstanceState& st = L.instances[id];
    if (st.state != InstanceState::New) return st;
    st.state = InstanceState::Failed;
    if (stop_) return st;  // a limit was hit: one error, not thousands
    const NodeInstance& n = *L.g->node(id);
    ErrorContext ctx = node_ctx(L, id, n.type);
    auto file_it = n.params.find(kSubgraphFileParam);
    if (file_it == n.params.end()) {
      ErrorContext pctx = ctx;
      pctx.param = kSubgraphFileParam;
      error(pctx, "a subgraph instance needs parameter 'file' (the graph file it instantiates)");
      return st;
    }
    ErrorContext fctx = ctx;
    fctx.param = kSubgraphFileParam;
    auto file_v = substitute(L, file_it->second, fctx);
    if (!file_v) return st;
    const auto* file = std::get_if<std::string>(&file_v->value);
    if (!file || file->empty()) {
      error(fctx, "must be a graph file name, got " + param_to_string(file_v->value));
      return st;
    }
    st.file = *file;
    fs::path path(*file);
    if (path.is_relative() && !file_v->dir.empty()) path = fs::path(file_v->dir) / path;
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    if (ec) canon = fs::absolute(path, ec).lexically_normal();
    const std::string canon_s = canon.string();
    for (std::size_t i = 0; i < L.canon_chain.size(); ++i)
      if (L.canon_chain[i] == canon_s) {
        std::vector<std::string> chain(L.chain.begin() + static_cast<std::ptrdiff_t>(i), L.chain.end());
        chain.push_back(*file);
        error(fctx, "subgraph reference cycle: " + join(chain, " > "));
        return st;
      }
    if (L.depth + 1 > kMaxSubgraphDepth) {
      error(fctx, "subgraphs nested deeper than " + std::to_string(kMaxSubgraphDepth) + " levels");
      stop_ = true;
      return st;
    }
    if (sandbox_)
      if (std::string why = sandbox_->check(path.string(), PathAccess::Read); !why.empty()) {
        error(fctx, why);
        return st;
      }
    std::shared_ptr<const Graph> sub;
    try {
      sub = load(canon_s, path.string());
    } catch (const Error& e) {
      error(fctx, "cannot load the subgraph: " + std::string(e.what()));
      return st;
    }

    Level S;
    S.g = sub.get();
    S.prefix = L.prefix + id + "/";
    S.trail = L.trail + " > " + id + " (" + *file + ")";
    S.dir = sub->base_dir;
    S.depth = L.depth + 1;
    S.chain = L.chain;
    S.chain.push_back(*file);
    S.canon_chain = L.canon_chain;
    S.canon_chain.push_back(canon_s);
    S.substitute = true;
    for (const auto& [name, v] : sub->variables()) S.vars[name] = VarValue{v.value, S.dir};
    for (const auto& [name, value] : n.params) {
      if (name == kSubgraphFileParam) continue;
      ErrorContext pctx = ctx;
      pctx.param = name;
      if (!sub->variables().count(name)) {
        auto names = keys_of(sub->variables());
        error(pctx, "unknown parameter" + did_you_mean(name, names) + "; " + *file + " has parameters: " + join(names));
        continue;
      }
      if (auto v = substitute(L, value, pctx)) S.vars[name] = *v;
    }
    // The instance's inputs: its own links, and this level's interface inputs that feed it.
    std::map<std::string, std::optional<Endpoint>> sources;
    st.state = InstanceState::Expanding;
    for (const auto& [port, src] : n.inputs) {
      ErrorContext pctx = ctx;
      pctx.port = port;
      sources[port] = resolve(L, src, pctx);
    }
    for (const auto& [name, in] : L.g->interface_inputs())
      for (const Endpoint& t : in.to)
        if (t.node == id && !n.inputs.count(t.port))
          if (auto it = L.iface.find(name); it != L.iface.end()) sources[t.port] = it->second;
    for (const auto& [port, src] : sources) {
      if (sub->interface_inputs().count(port)) continue;
      ErrorContext pctx = ctx;
      pctx.port = port;
      auto names = keys_of(sub->interface_inputs());
      error(pctx, "unknown input port" + did_you_mean(port, names) + "; " + *file + " has inputs: " + join(names));
    }
    for (const auto& [name, in] : sub->interface_inputs()) {
      auto it = sources.find(name);
      S.iface[name] = it == sources.end() ? std::nullopt : it->second;
    }
    if (++instance_count_ > kMaxExpandedNodes) {
      error(ctx, "the graph expands to more than " + std::to_string(kMaxExpandedNodes) + " subgraph instances");
      stop_ = true;
      st.state = InstanceState::Failed;
      return st;
    }
    x_.instances.push_back({L.prefix + id, canon_s, S.trail});
    st.outputs = expand_level(S);  // std::map: `st` stays valid while L.instances grows
    st.state = InstanceState::Done;
    return st;
  }

  const Registry& reg_;
  Expansion& x_;
  const Sandbox* sandbox_;
  std::map<std::string, std::shared_ptr<const Graph>> files_;
  bool stop_ = false;  // a limit was hit
  std::size_t instance_count_ = 0;
};

}  // namespace

Expansion expand_subgraphs(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  Expansion x;
  x.graph.name = g.name;
  x.graph.doc = g.doc;
  x.graph.base_dir = g.base_dir;
  x.graph.source_file = g.source_file;
  x.graph.layout_json = g.layout_json;
  x.graph.mutable_interface_inputs() = g.interface_inputs();

  Level top;
  top.g = &g;
  top.trail = g.source_file;
  top.dir = g.base_dir;
  top.substitute = g.uses_subgraph_features();
  std::string top_name = g.source_file.empty() ? std::string("<graph>") : fs::path(g.source_file).filename().string();
  top.chain = {top_name};
  if (!g.source_file.empty()) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(fs::path(g.source_file), ec);
    top.canon_chain = {ec ? g.source_file : canon.string()};
  } else {
    top.canon_chain = {std::string()};
  }
  for (const auto& [name, v] : g.variables()) top.vars[name] = VarValue{v.value, g.base_dir};

  Expander e(reg, x, sandbox);
  x.graph.mutable_outputs() = e.expand_level(top);
  x.graph.touch();
  return x;
}

Graph expand_graph(const Graph& g, const Registry& reg) {
  if (!g.uses_subgraph_features()) return g;
  Expansion x = expand_subgraphs(g, reg);
  if (!x.errors.empty()) throw ValidationError(std::move(x.errors));
  return std::move(x.graph);
}

SubgraphInterface describe_interface(const Graph& g, const Registry& reg, const Sandbox* sandbox) {
  SubgraphInterface out;
  Expansion x = expand_subgraphs(g, reg, sandbox);
  auto input_kind = [&](const Endpoint& t) -> std::string {
    const NodeInstance* n = x.graph.node(t.node);
    const NodeDescriptor* d = n ? reg.find(n->type) : nullptr;
    const PortSpec* p = d ? d->input(t.port) : nullptr;
    return p ? std::string(kind_name(p->kind)) : std::string();
  };
  for (const auto& [name, in] : g.interface_inputs()) {
    SubgraphInterface::Port p{name, {}, in.doc, {}};
    for (const Endpoint& t : in.to) {
      p.to.push_back(t.str());
      if (p.kind.empty()) p.kind = input_kind(t);
    }
    out.inputs.push_back(std::move(p));
  }
  for (const auto& [name, src] : g.outputs()) {
    SubgraphInterface::Port p{name, {}, {}, {src.str()}};
    if (auto it = x.graph.outputs().find(name); it != x.graph.outputs().end()) {
      const NodeInstance* n = x.graph.node(it->second.node);
      const NodeDescriptor* d = n ? reg.find(n->type) : nullptr;
      if (const PortSpec* ps = d ? d->output(it->second.port) : nullptr) p.kind = kind_name(ps->kind);
    }
    out.outputs.push_back(std::move(p));
  }
  for (const auto& [name, v] : g.variables()) {
    SubgraphInterface::Param p{name, v.value, v.doc, {}};
    for (const auto& [id, n] : g.nodes())
      for (const auto& [param, value] : n.params)
        if (const auto* s = std::get_if<std::string>(&value); s && *s == "$" + name) p.uses.push_back(id + "." + param);
    out.params.push_back(std::move(p));
  }
  return out;
}

}  // namespace sumi
