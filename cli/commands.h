// The `sumi` command line: one function per subcommand, sharing set-up.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sumi::cli {

// Each adds its subcommand to `app`; the callback runs it and stores the
// process exit code in `exit_code`.
void add_run_command(CLI::App& app, int& exit_code);
void add_batch_command(CLI::App& app, int& exit_code);
void add_validate_command(CLI::App& app, int& exit_code);
void add_nodes_command(CLI::App& app, int& exit_code);
void add_dot_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);

// Prints "sumi: error: <message>" (each line of a multi-line message prefixed).
void print_error(const std::string& message);

}  // namespace sumi::cli
