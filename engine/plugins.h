// Plugins: packs of node types loaded at start-up by the CLI, the editor
// server and the Python module alike (docs/plugins.md).
//
//   Registry reg; register_all_nodes(reg);
//   PluginReport r = load_plugins(reg, plugin_search_path({"my_plugins"}));
//   for (const PluginError& e : r.errors) std::cerr << e.what() << "\n";  // the others still loaded
//
// A plugin folder holds C++ plugins (*.so, built with engine/plugin_api.h)
// and Python plugins (*.py, modules of @sumi.node functions); files whose names
// start with '.' or '_' and anything else are ignored, subfolders are not
// searched. Each file is one pack: its node types are registered into a
// scratch registry first and added only when none of their ids is taken (by a
// built-in node or another pack), so a pack loads whole or not at all. Every
// node a pack adds records the pack's file as its `origin`. A pack that fails
// (not loadable, not a plugin, built for another plugin API version, a Python
// error, a duplicate id) is reported with its file and the reason, and the
// remaining packs still load. A file already loaded into the registry is
// skipped. Loaded libraries stay loaded until the process exits.
//
// Python plugins need an interpreter: the Python module passes its own
// runner; elsewhere load_plugins embeds one through libsumi_python_host.so
// (next to libsumi_engine.so), loaded only when a *.py plugin is present.
//
// Thread safety: call at start-up, before sessions run (it modifies the registry).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/registry.h"

namespace sumi {

struct PluginError {
  std::string file;     // the plugin file (or folder) that failed
  std::string message;  // why
  std::string what() const { return file + ": " + message; }
};

struct PluginReport {
  std::vector<std::string> loaded;   // plugin files whose nodes were added, in load order
  std::vector<PluginError> errors;
};

// Runs the Python plugin `file`, registering its node types into `into`.
// Throws (any std::exception) with the reason when the file fails, or
// sumi::Cancelled when the user interrupted it (Ctrl-C): that stops the whole
// loading and reaches load_plugins' caller; the packs loaded before stay.
using PythonPluginRunner = std::function<void(const std::string& file, Registry& into)>;

// The project-local plugin folder, relative to the current directory.
inline constexpr const char* kProjectPluginDir = "sumi_plugins";

// The folders to load, in order: `dirs` (e.g. --plugins), then each entry of
// $SUMI_PLUGIN_PATH (':'-separated), then ./sumi_plugins when it exists and
// `project_default`. A folder named twice is kept once.
std::vector<std::string> plugin_search_path(const std::vector<std::string>& dirs, bool project_default = true);

// Loads every plugin file in `dirs` (each folder's files sorted by name); a
// folder that does not exist is an error too. `python` defaults to
// embedded_python_runner().
PluginReport load_plugins(Registry& reg, const std::vector<std::string>& dirs, const PythonPluginRunner& python = {});

// Loads one plugin file; throws sumi::Error naming the file. Returns false
// when the file was already loaded into `reg` (nothing done).
bool load_plugin(Registry& reg, const std::string& file, const PythonPluginRunner& python = {});

// Runs Python plugins in an interpreter embedded through libsumi_python_host.so
// (dlopen'ed on first use, next to libsumi_engine.so).
PythonPluginRunner embedded_python_runner();

// How a node's origin reads in listings: "built-in", or the origin itself.
std::string origin_label(const NodeDescriptor& d);

}  // namespace sumi
