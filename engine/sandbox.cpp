#include "engine/sandbox.h"

#include <algorithm>

#include "engine/plan.h"

namespace sumi {
namespace fs = std::filesystem;
namespace {

// Absolute, with every symlink of the existing part resolved, and no
// trailing separator; empty when the path cannot be resolved.
fs::path resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  if (ec) return {};
  if (r.filename().empty()) r = r.parent_path();
  return r;
}

// Compares whole components: /srv/out2 is not inside /srv/out.
bool inside(const fs::path& p, const fs::path& root) {
  return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

unsigned needs(PathAccess a) {
  switch (a) {
    case PathAccess::Read: return Sandbox::kRead;
    case PathAccess::Write: return Sandbox::kWrite;
    default: return Sandbox::kRead | Sandbox::kWrite;
  }
}

}  // namespace

void Sandbox::allow(const std::string& dir, unsigned access) {
  fs::path r = resolved(dir);
  if (r.empty()) throw Error(ErrorContext{dir, {}, {}, {}, {}}, "cannot resolve this sandbox folder");
  roots_.push_back({std::move(r), access});
}

std::string Sandbox::check(const std::string& path, PathAccess access) const {
  if (access == PathAccess::None) return {};
  const fs::path p = resolved(path);
  const unsigned want = needs(access);
  for (const Root& root : roots_)
    if (!p.empty() && (root.access & want) == want && inside(p, root.dir)) return {};
  std::string shown = "'" + path + "'";
  std::error_code ec;
  if (!p.empty() && p != fs::absolute(path, ec).lexically_normal()) shown += " (resolves to '" + p.string() + "')";
  return shown + " is outside the sandbox for " + std::string(path_access_name(access)) + " (allowed: " + describe() + ")";
}

std::string Sandbox::describe() const {
  if (roots_.empty()) return "nothing";
  std::string out;
  for (const Root& r : roots_) {
    if (!out.empty()) out += ", ";
    out += r.dir.string() + ((r.access & kWrite) ? ((r.access & kRead) ? " (read, write)" : " (write)") : " (read)");
  }
  return out;
}

void check_sandbox(const Sandbox& box, const Plan& plan, const char* need, const std::vector<bool>& fed) {
  // The subgraph files the plan was expanded from (it may have been compiled without this sandbox).
  for (const std::string& file : plan.subgraph_files)
    if (std::string why = box.check(file, PathAccess::Read); !why.empty())
      throw SandboxError(ErrorContext{plan.source_file, {}, {}, {}, {}}, "subgraph file: " + why);
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    if (!need[i] || fed[i]) continue;
    const PlanNode& n = plan.nodes[i];
    for (int p : n.file_params) {
      const ParamSpec& spec = n.desc->params[static_cast<std::size_t>(p)];
      const auto& path = std::get<std::string>(n.params[static_cast<std::size_t>(p)]);
      // Empty = the manifest's file; the default = the node's own (shipped
      // models): neither was chosen by the graph.
      if (path.empty() || ParamValue(path) == spec.def) continue;
      if (std::string why = box.check(path, spec.file_access()); !why.empty())
        throw SandboxError(ErrorContext{plan.source_file, n.id, n.desc->id, {}, spec.name}, why);
    }
  }
}

}  // namespace sumi
