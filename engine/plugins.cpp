#include "engine/plugins.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "engine/data_root.h"
#include "engine/error.h"
#include "engine/kind_registry.h"
#include "engine/plugin_api.h"

namespace sumi {
namespace {

namespace fs = std::filesystem;

Error file_error(const std::string& file, const std::string& message) { return Error(ErrorContext{file, {}, {}, {}, {}}, message); }

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}

// A Python package: a folder holding __init__.py, for a node pack spread over
// several modules (relative imports work inside it).
bool is_python_package(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::is_regular_file(p / "__init__.py", ec);
}

bool is_plugin_file(const fs::directory_entry& e) {
  const std::string name = e.path().filename().string();
  const std::string ext = e.path().extension().string();
  std::error_code ec;
  if (name.empty() || name[0] == '.' || name[0] == '_') return false;  // also __pycache__
  return ((ext == ".so" || ext == ".py") && e.is_regular_file(ec)) || is_python_package(e.path());
}

// Calls a C++ plugin's entry points, registering its nodes into `into`.
void register_cpp_plugin(const std::string& file, Registry& into) {
  // RTLD_LOCAL: plugins cannot see each other's symbols. The engine a plugin
  // links is the one already loaded (matched by its soname), so the plugin's
  // node types land in the registry passed here, whatever loaded the engine.
  void* lib = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) throw file_error(file, "cannot load the library: " + dl_error());
  // The library stays loaded whatever happens next: its static objects may
  // have registered destructors, and registered nodes point into its code.
  using VersionFn = int (*)();
  using RegisterFn = void (*)(Registry*);
  auto version = reinterpret_cast<VersionFn>(dlsym(lib, "sumi_plugin_api_version"));
  if (!version)
    throw file_error(file, "not a Sumi plugin: it exports no sumi_plugin_api_version() (see SUMI_PLUGIN in engine/plugin_api.h)");
  const int v = version();
  if (v != SUMI_PLUGIN_API_VERSION)
    throw file_error(file, "built against Sumi plugin API version " + std::to_string(v) + ", but this Sumi has version " +
                               std::to_string(SUMI_PLUGIN_API_VERSION) + ": rebuild the plugin against this Sumi's headers");
  auto reg = reinterpret_cast<RegisterFn>(dlsym(lib, "sumi_plugin_register"));
  if (!reg) throw file_error(file, "not a Sumi plugin: it exports no sumi_plugin_register() (see SUMI_PLUGIN in engine/plugin_api.h)");
  try {
    reg(&into);
  } catch (const std::exception& e) {
    throw file_error(file, std::string("its registration failed: ") + e.what());
  }
}

}  // namespace

std::string origin_label(const NodeDescriptor& d) { return d.origin.empty() ? "built-in" : d.origin; }

std::vector<std::string> plugin_search_path(const std::vector<std::string>& dirs, bool project_default) {
  std::vector<std::string> all = dirs;
  if (const char* env = std::getenv("SUMI_PLUGIN_PATH"); env && *env) {
    std::string s = env;
    for (std::size_t start = 0; start <= s.size();) {
      std::size_t colon = s.find(':', start);
      if (colon == std::string::npos) colon = s.size();
      if (colon > start) all.push_back(s.substr(start, colon - start));
      start = colon + 1;
    }
  }
  std::error_code ec;
  if (project_default && fs::is_directory(kProjectPluginDir, ec)) all.push_back(kProjectPluginDir);
  std::vector<std::string> out;
  std::vector<fs::path> seen;
  for (const std::string& d : all) {
    fs::path key = fs::weakly_canonical(fs::absolute(d, ec), ec);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.push_back(d);
  }
  return out;
}

bool load_plugin(Registry& reg, const std::string& file, const PythonPluginRunner& python) {
  std::error_code ec;
  const fs::path path = fs::canonical(file, ec);
  if (ec) throw file_error(file, "cannot read the plugin: " + ec.message());
  const std::string canonical = path.string();
  for (const NodeDescriptor* d : reg.all())
    if (d->origin == canonical) return false;

  Registry pack;  // scratch: the pack is added whole or not at all
  const KindOriginScope kinds_origin(canonical);  // value kinds it registers name the plugin
  if (path.extension() == ".so") {
    register_cpp_plugin(canonical, pack);
  } else if (path.extension() == ".py" || is_python_package(path)) {
    try {
      (python ? python : embedded_python_runner())(canonical, pack);
    } catch (const Cancelled&) {
      throw;  // Ctrl-C while the plugin ran: stop loading, not a failed plugin
    } catch (const Error& e) {
      throw file_error(canonical, e.what());
    } catch (const std::exception& e) {
      throw file_error(canonical, e.what());
    }
  } else {
    throw file_error(canonical, "not a plugin: plugins are *.so (C++) or *.py (Python) files, or Python packages (folders with __init__.py)");
  }
  if (pack.size() == 0) throw file_error(canonical, "the plugin registers no node types");
  for (const NodeDescriptor* d : pack.all()) {
    if (const NodeDescriptor* taken = reg.find(d->id))
      throw file_error(canonical, "node type '" + d->id + "' is already defined by " +
                                      (taken->origin.empty() ? std::string("the built-in nodes") : taken->origin) +
                                      ": the plugin is not loaded (rename one of them)");
  }
  for (const NodeDescriptor* d : pack.all()) {
    NodeDescriptor copy = *d;
    copy.origin = canonical;
    reg.add(std::move(copy));
  }
  return true;
}

PluginReport load_plugins(Registry& reg, const std::vector<std::string>& dirs, const PythonPluginRunner& python) {
  PluginReport report;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      report.errors.push_back({dir, fs::exists(dir, ec) ? "not a folder: plugins are loaded from folders"
                                                         : "plugin folder does not exist"});
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (is_plugin_file(*it)) files.push_back(it->path());
    if (ec) report.errors.push_back({dir, "cannot list the plugin folder: " + ec.message()});
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      try {
        if (load_plugin(reg, f.string(), python)) report.loaded.push_back(fs::canonical(f, ec).string());
      } catch (const Cancelled&) {
        throw;
      } catch (const Error& e) {
        report.errors.push_back({e.context().file.empty() ? f.string() : e.context().file, e.message()});
      } catch (const std::exception& e) {
        report.errors.push_back({f.string(), e.what()});
      }
    }
  }
  return report;
}

PythonPluginRunner embedded_python_runner() {
  return [](const std::string& file, Registry& into) {
    // bindings/python_host.cpp: bool sumi_python_host_run_plugin(const char*, Registry*, std::string*).
    using RunFn = bool (*)(const char*, Registry*, std::string*);
    static std::mutex mutex;
    static RunFn run = nullptr;
    std::lock_guard<std::mutex> lock(mutex);
    if (!run) {
      const fs::path host = engine_module_file().parent_path() / "libsumi_python_host.so";
      std::error_code ec;
      if (!fs::is_regular_file(host, ec))
        throw Error("a Python plugin needs Sumi's Python host " + host.string() +
                    ", which is missing (it is built with the Python module, SUMI_BUILD_PYTHON=ON)");
      // RTLD_GLOBAL: the interpreter's extension modules (NumPy, sumi._sumi)
      // resolve libpython's symbols from the global scope.
      void* lib = dlopen(host.c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!lib) throw Error("cannot load Sumi's Python host " + host.string() + ": " + dl_error());
      run = reinterpret_cast<RunFn>(dlsym(lib, "sumi_python_host_run_plugin"));
      if (!run) throw Error(host.string() + " exports no sumi_python_host_run_plugin()");
    }
    std::string error;
    if (!run(file.c_str(), &into, &error)) throw Error(error);
  };
}

}  // namespace sumi
