// The node types a command works with: the built-in nodes plus plugins
// (engine/plugins.h) from --plugins, $SUMI_PLUGIN_PATH and ./sumi_plugins.
//
//   auto dirs = std::make_shared<std::vector<std::string>>();
//   add_plugins_option(cmd, *dirs);
//   Registry reg; load_node_types(reg, *dirs);   // prints each failed plugin, loads the rest
//
// Thread safety: start-up only.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sumi {
class Registry;
}

namespace sumi::cli {

// --plugins DIR (repeatable).
void add_plugins_option(CLI::App* cmd, std::vector<std::string>& dirs);

// Registers the built-in nodes and loads the plugin folders: `dirs`, then
// $SUMI_PLUGIN_PATH, then ./sumi_plugins. Each plugin that fails is printed as
// "sumi: error: plugin FILE: reason"; returns how many failed. `loaded`, when
// given, receives the plugin files that were loaded.
std::size_t load_node_types(Registry& reg, const std::vector<std::string>& dirs,
                            std::vector<std::string>* loaded = nullptr);

// The folders load_node_types reads (for `sumi serve`'s checks).
std::vector<std::string> plugin_folders(const std::vector<std::string>& dirs);

}  // namespace sumi::cli
