// libsumi_python_host.so: an embedded Python interpreter for Python plugins
// loaded by programs that are not Python (the CLI, the editor server).
// engine/plugins.cpp dlopen's it only when a *.py plugin is present, so the
// CLI's start-up pays nothing for Python otherwise.
//
// The interpreter starts on the first plugin and lives until the process
// exits (never finalised: node types registered from it hold Python objects).
// It imports the `sumi` package that sits next to this library (build/python
// in a build tree, lib/python3/dist-packages in an installed one), whose
// sumi._sumi runs the plugin file into the caller's registry. After start-up
// the loading thread gives the GIL up: Python nodes take it when the executor
// calls them from its worker threads (bindings/python_nodes.cpp).
#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <string>

#include <pybind11/embed.h>

#include "bindings/python_error.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace sumi {
class Registry;
}

namespace {

fs::path this_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&this_library_dir), &info) && info.dli_fname) {
    std::error_code ec;
    fs::path p = fs::canonical(info.dli_fname, ec);
    if (!ec) return p.parent_path();
  }
  return {};
}

// The folder holding the `sumi` package that belongs to this build or install.
std::string sumi_package_root() {
  const fs::path lib = this_library_dir();
  std::error_code ec;
  for (const fs::path& root : {lib / "python3" / "dist-packages", lib.parent_path() / "python"})
    if (fs::is_regular_file(root / "sumi" / "__init__.py", ec)) return root.string();
  return {};
}


std::once_flag g_started;

void start_interpreter() {
  // Extension modules are not linked to libpython: make its symbols global
  // (this library may have been loaded RTLD_LOCAL).
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Py_InitializeEx), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
  py::initialize_interpreter(/*init_signal_handlers=*/false);  // Ctrl-C stays the program's
  try {
    py::module_ sys = py::module_::import("sys");
    const std::string root = sumi_package_root();
    if (!root.empty()) sys.attr("path").attr("insert")(0, root);
    // `import sumi` must not load $SUMI_PLUGIN_PATH into a registry of its own:
    // the host program loads its plugins itself.
    sys.attr("_sumi_plugin_host") = true;
  } catch (py::error_already_set&) {
    // `import sumi` below fails with the reason
  }
  PyEval_SaveThread();  // give the GIL up; each call below takes it
}

}  // namespace

// Runs the Python plugin `file` into `registry`; false with `error` set when it failed.
extern "C" __attribute__((visibility("default"))) bool sumi_python_host_run_plugin(const char* file, sumi::Registry* registry,
                                                                                 std::string* error) {
  try {
    std::call_once(g_started, start_interpreter);
  } catch (py::error_already_set& e) {
    *error = "cannot start the embedded Python interpreter: " + std::string(e.what());
    return false;
  } catch (const std::exception& e) {
    *error = "cannot start the embedded Python interpreter: " + std::string(e.what());
    return false;
  }
  py::gil_scoped_acquire gil;
  try {
    py::module_ sumi = py::module_::import("sumi._sumi");
    py::object message = sumi.attr("_run_plugin_file")(file, py::capsule(static_cast<void*>(registry), "sumi.Registry"));
    if (!message.is_none()) {
      *error = message.cast<std::string>();
      return false;
    }
    return true;
  } catch (py::error_already_set& e) {
    *error = sumi::bindings::format_python_error(e);
    return false;
  }
}
