// File sandbox: the folders a run's file parameters may name. Nodes declare
// their file parameters and whether they read or write them (ParamSpec::
// file_access); before a run starts, every such parameter of the nodes it
// needs must resolve, after symlinks, inside a folder allowed for that access.
//
//   auto box = std::make_shared<Sandbox>();
//   box->allow("graphs", Sandbox::kRead);
//   box->allow("out", Sandbox::kRead | Sandbox::kWrite);
//   RunOptions opts; opts.sandbox = box;   // session.run(...) throws SandboxError
//
// The check is made when the run starts, not when the node opens the file: a
// symlink swapped in between is not caught (the sandbox guards against graphs
// sent by others, not against local users who can already change the disk).
//
// Thread safety: immutable once set up; check() is safe to call concurrently.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/param.h"

namespace sumi {

class Plan;

// A file parameter outside the sandbox; the server answers it with a 403.
class SandboxError : public Error {
 public:
  using Error::Error;
};

class Sandbox {
 public:
  static constexpr unsigned kRead = 1, kWrite = 2;

  // Allows `dir` (made absolute, symlinks resolved; it need not exist yet).
  void allow(const std::string& dir, unsigned access);
  bool empty() const { return roots_.empty(); }

  // An empty string when `path` (absolute, or relative to the working folder)
  // may be accessed so; else why not: "'/etc/x.png' is outside the sandbox
  // (allowed: /srv/graphs (read), /srv/out (read, write))".
  std::string check(const std::string& path, PathAccess access) const;
  // "/srv/graphs (read), /srv/out (read, write)".
  std::string describe() const;

 private:
  struct Root {
    std::filesystem::path dir;
    unsigned access;
  };
  std::vector<Root> roots_;
};

// Checks the subgraph files the plan was expanded from (read), and the file parameters of the nodes a run computes (need[i] and not
// fed[i]). Empty values and parameters left at the node's default (the
// shipped manifests) are not checked: the node, not the graph, chose them.
// Throws SandboxError naming the node, the parameter and the path.
void check_sandbox(const Sandbox& box, const Plan& plan, const char* need, const std::vector<bool>& fed);

}  // namespace sumi
