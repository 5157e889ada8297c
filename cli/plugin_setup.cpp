#include "cli/plugin_setup.h"

#include "cli/commands.h"
#include "engine/plugins.h"
#include "nodes/nodes.h"

namespace sumi::cli {

void add_plugins_option(CLI::App* cmd, std::vector<std::string>& dirs) {
  cmd->add_option("--plugins", dirs,
                  "a folder of plugins to load: C++ node packs (*.so) and Python ones (*.py); repeatable. "
                  "$SUMI_PLUGIN_PATH (':'-separated) and ./sumi_plugins are loaded after these")
      ->type_name("DIR")
      ->allow_extra_args(false);
}

std::vector<std::string> plugin_folders(const std::vector<std::string>& dirs) { return plugin_search_path(dirs); }

std::size_t load_node_types(Registry& reg, const std::vector<std::string>& dirs, std::vector<std::string>* loaded) {
  register_all_nodes(reg);
  PluginReport report = load_plugins(reg, plugin_folders(dirs));
  for (const PluginError& e : report.errors) print_error("plugin " + e.what());
  if (loaded) *loaded = report.loaded;
  return report.errors.size();
}

}  // namespace sumi::cli
