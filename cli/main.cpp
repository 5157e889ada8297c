// sumi: run, check and inspect Sumi graphs from the command line.
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "nodes/common/cancellable.h"

int main(int argc, char** argv) {
  CLI::App app{"Sumi: drawing-assisted portrait generation with node graphs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sumi 0.1.0");
  int exit_code = 0;
  sumi::cli::add_run_command(app, exit_code);
  sumi::cli::add_batch_command(app, exit_code);
  sumi::cli::add_validate_command(app, exit_code);
  sumi::cli::add_nodes_command(app, exit_code);
  sumi::cli::add_dot_command(app, exit_code);
  sumi::cli::add_serve_command(app, exit_code);
  // CLI11 answers an unknown command with "A subcommand is required": name it.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "sumi: error: unknown command '" << argv[1] << "' (commands: " << names << ")\n";
      std::cerr << "Run with --help for usage.\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      std::cerr << "sumi: error: " << e.what() << "\n";
      std::cerr << "Run with --help for usage.\n";
      return 2;
    }
    return app.exit(e);
  } catch (const std::exception& e) {
    sumi::cli::print_error(e.what());
    return 1;
  }
  // A cancelled run may leave an abandoned OpenCV call running on its own
  // thread (nodes/common/cancellable.h): exit without the static destructors
  // that thread may still rely on.
  if (sumi::abandoned_calls_running() > 0) {
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(exit_code);
  }
  return exit_code;
}
