// Plugins from Python: sumi.load_plugins() and the import-time loading of
// $SUMI_PLUGIN_PATH (python/sumi/_plugins.py) go through the engine's loader
// (engine/plugins.h) with a runner that executes Python plugins in this
// interpreter; _run_plugin_file serves the embedded interpreter of the CLI and
// the editor server (bindings/python_host.cpp).
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "engine/plugins.h"

namespace sumi::py_bindings {
namespace {

// Runs `file` through sumi._plugins.exec_plugin into `into`: None, or the reason it failed.
py::object exec_plugin(const std::string& file, Registry& into) {
  // The registry is borrowed for the call: a plugin must not keep it.
  std::shared_ptr<Registry> borrowed(&into, [](Registry*) {});
  return py::module_::import("sumi._plugins").attr("exec_plugin")(file, borrowed);
}

void run_in_this_interpreter(const std::string& file, Registry& into) {
  py::gil_scoped_acquire gil;  // held already when called from Python; taken when not
  py::object message;
  try {
    message = exec_plugin(file, into);
  } catch (py::error_already_set& e) {
    // Ctrl-C while the plugin ran (exec_plugin lets it through): the loading
    // stops and _load_plugins raises KeyboardInterrupt again.
    if (e.matches(PyExc_KeyboardInterrupt)) throw Cancelled();
    throw Error(e.what());
  }
  if (!message.is_none()) throw Error(message.cast<std::string>());
}

}  // namespace

void bind_plugins(py::module_& m) {
  m.def("_load_plugins", [](const std::shared_ptr<Registry>& reg, const std::vector<std::string>& dirs) {
    PluginReport r;
    try {
      r = load_plugins(*reg, dirs, run_in_this_interpreter);
    } catch (const Cancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
      throw py::error_already_set();
    }
    std::vector<std::pair<std::string, std::string>> errors;
    for (const PluginError& e : r.errors) errors.emplace_back(e.file, e.message);
    return py::make_tuple(r.loaded, errors);
  }, py::arg("registry"), py::arg("dirs"), "Loads the plugin folders into the registry: (loaded files, [(file, reason)]).");
  m.def("_plugin_search_path", &plugin_search_path, py::arg("dirs"), py::arg("project_default") = true,
        "dirs, then $SUMI_PLUGIN_PATH, then ./sumi_plugins when it exists.");
  m.def("_run_plugin_file", [](const std::string& file, const py::capsule& registry) -> py::object {
    if (std::string(registry.name() ? registry.name() : "") != "sumi.Registry")
      throw py::type_error("_run_plugin_file needs a sumi.Registry capsule");
    return exec_plugin(file, *static_cast<Registry*>(registry.get_pointer()));
  }, py::arg("file"), py::arg("registry"), "For the embedded interpreter (python_host.cpp): None, or why the plugin failed.");
}

}  // namespace sumi::py_bindings
