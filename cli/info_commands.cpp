// sumi validate | nodes | dot
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/plugin_setup.h"
#include "engine/error.h"
#include "engine/graph_file.h"
#include "engine/input_files.h"
#include "engine/introspect.h"
#include "engine/plan.h"
#include "engine/plugins.h"
#include "engine/subgraph.h"
#include "engine/validate.h"
#include "nodes/nodes.h"

namespace sumi::cli {

void print_error(const std::string& message) {
  std::size_t start = 0;
  while (start <= message.size()) {
    auto nl = message.find('\n', start);
    std::cerr << "sumi: error: " << message.substr(start, nl == std::string::npos ? std::string::npos : nl - start) << "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

void add_validate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate",
                                 "Check a graph file without running it: types, links, parameters, and that the input "
                                 "files it names can be read; warns about nodes that can never run");
  auto path = std::make_shared<std::string>();
  auto plugins = std::make_shared<std::vector<std::string>>();
  cmd->add_option("graph", *path, "graph file (*.sumi.json)")->required();
  add_plugins_option(cmd, *plugins);
  cmd->callback([path, plugins, &exit_code] {
    Registry reg;
    load_node_types(reg, *plugins);
    try {
      Graph g = load_graph_file(*path);
      auto errors = validate(g, reg);
      for (const auto& e : errors) print_error(e.what());
      if (!errors.empty()) {
        exit_code = 1;
        return;
      }
      auto plan = compile(g, reg);
      // Files the nodes would read: missing or unreadable ones fail now, not mid-run.
      auto file_errors = check_input_files(*plan);
      for (const auto& e : file_errors) print_error(e.what());
      if (!file_errors.empty()) {
        exit_code = 1;
        return;
      }
      for (const std::string& id : never_run_nodes(*plan)) {
        const int i = plan->index_of(id);
        std::cerr << "sumi: warning: " << *path << ": node '" << id << "' ("
                  << plan->nodes[static_cast<std::size_t>(i)].desc->id
                  << ") can never run: it is not a graph output, not an output node, and not upstream of either\n";
      }
      std::size_t links = 0;
      for (const auto& [id, n] : g.nodes()) links += n.inputs.size();
      std::cout << *path << ": ok (" << g.nodes().size() << " nodes, " << links << " links, " << g.outputs().size()
                << " outputs";
      if (Expansion x = expand_subgraphs(g, reg); !x.instances.empty()) {
        std::cout << "; " << x.graph.nodes().size() << " nodes with " << x.instances.size()
                  << " subgraph instances expanded";
      }
      std::cout << ")\n";
    } catch (const Error& e) {
      print_error(e.what());
      exit_code = 1;
    }
  });
}

void add_nodes_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("nodes", "List the node types with their ports and parameters");
  auto json = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();
  auto plugins = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--json", *json, "print the descriptors as JSON");
  cmd->add_option("types", *names, "only these node types (e.g. face.warp)");
  add_plugins_option(cmd, *plugins);
  cmd->callback([json, names, plugins, &exit_code] {
    Registry reg;
    // A plugin that failed is reported and the others listed; the exit code is
    // then 1, so that a check of a plugin folder fails visibly.
    const bool plugins_failed = load_node_types(reg, *plugins) > 0;
    std::vector<const NodeDescriptor*> shown;
    std::vector<std::string> ids;
    for (const NodeDescriptor* d : reg.all()) ids.push_back(d->id);
    for (const std::string& name : *names) {
      const NodeDescriptor* d = reg.find(name);
      if (!d) {
        std::cerr << "sumi: error: no node type '" << name << "'" << did_you_mean(name, ids)
                  << " (sumi nodes lists them all)\n";
        exit_code = 1;
        return;
      }
      shown.push_back(d);
    }
    if (names->empty()) shown = reg.all();
    if (*json) {
      if (names->empty()) {
        std::cout << registry_to_json(reg);
      } else {
        Registry some;  // only the asked-for types, in the same JSON form
        for (const NodeDescriptor* d : shown) some.add(*d);
        std::cout << registry_to_json(some);
      }
      exit_code = plugins_failed ? 1 : 0;
      return;
    }
    for (const NodeDescriptor* d : shown) {
      std::cout << d->id << " (v" << d->version << (d->output_node ? ", output node" : "") << ") - " << d->doc << "\n";
      std::cout << "    origin: " << origin_label(*d) << "\n";
      for (const auto& p : d->inputs)
        std::cout << "    in  " << p.name << ": " << kind_name(p.kind) << (p.required ? "" : " (optional)") << " - " << p.doc << "\n";
      for (const auto& p : d->outputs) std::cout << "    out " << p.name << ": " << kind_name(p.kind) << " - " << p.doc << "\n";
      for (const auto& p : d->params) {
        std::cout << "    param " << p.name << ": " << param_type_name(p.type) << " = " << param_to_string(p.def);
        if (p.min || p.max)
          std::cout << " [" << (p.min ? param_to_string(*p.min) : "") << ".." << (p.max ? param_to_string(*p.max) : "") << "]";
        if (!p.choices.empty()) {
          std::cout << " {";
          for (std::size_t i = 0; i < p.choices.size(); ++i) std::cout << (i ? ", " : "") << p.choices[i];
          std::cout << "}";
        }
        std::cout << " - " << p.doc << "\n";
      }
    }
    exit_code = plugins_failed ? 1 : 0;
  });
}

void add_dot_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("dot", "Print a graph file as Graphviz dot");
  auto path = std::make_shared<std::string>();
  cmd->add_option("graph", *path, "graph file (*.sumi.json)")->required();
  cmd->callback([path, &exit_code] {
    try {
      std::cout << graph_to_dot(load_graph_file(*path));
    } catch (const Error& e) {
      print_error(e.what());
      exit_code = 1;
    }
  });
}

}  // namespace sumi::cli
