// sumi.Session: runs graphs with the GIL released, keeps its cache across
// runs, reports progress to a Python callable, and turns Ctrl-C into a clean
// cancellation (sumi.Cancelled is raised as KeyboardInterrupt's cause).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <chrono>
#include <future>
#include <thread>

#include "bindings/bindings.h"
#include "engine/model_store.h"
#include "engine/session.h"
#include "nodes/common/part_set.h"

namespace sumi::py_bindings {
namespace {

struct PySession {
  std::shared_ptr<Registry> registry;
  std::unique_ptr<Session> session;
};

// The kind of the output a fed input replaces ("node" or "node.port"), or of the unlinked input it fills.
ValueKind fed_kind(const Graph& g, const Registry& reg, const std::string& name) {
  auto dot = name.find('.');
  const std::string node = name.substr(0, dot);
  const NodeInstance* n = g.node(node);
  if (!n) throw Error("input '" + name + "': no node '" + node + "' in the graph");
  const NodeDescriptor* d = reg.find(n->type);
  if (!d) throw Error(ErrorContext{g.source_file, node, n->type, {}, {}}, "unknown node type");
  const PortSpec* out = dot == std::string::npos ? (d->outputs.empty() ? nullptr : &d->outputs.front())
                                                 : d->output(name.substr(dot + 1));
  // Or an optional input left unlinked (the engine checks that it is one).
  if (!out && dot != std::string::npos) out = d->input(name.substr(dot + 1));
  if (!out) throw Error(ErrorContext{g.source_file, node, n->type, {}, {}}, "input '" + name + "': no such output or input");
  return out->kind;
}

py::dict event_dict(const ProgressEvent& ev) {
  py::dict d;
  d["kind"] = std::string(progress_kind_name(ev.kind));
  d["node"] = *ev.node;
  d["type"] = *ev.type;
  d["ms"] = ev.ms;
  d["fraction"] = ev.fraction;
  d["message"] = ev.message;
  return d;
}

py::object convert_output(const Value& v, bool as_torch) {
  py::object o = to_python(v);
  if (as_torch && v.kind() != parts_kind() && py::isinstance<py::array>(o))
    return py::module_::import("torch").attr("from_numpy")(o.attr("copy")());  // torch has no read-only tensors
  return o;
}

py::dict run_result_dict(const RunResult& r, bool as_torch) {
  py::dict outputs;
  for (const auto& [name, v] : r.outputs) outputs[py::str(name)] = convert_output(v, as_torch);
  py::list nodes, warnings;
  for (const NodeRun& n : r.nodes) {
    if (n.status == NodeStatus::NotNeeded) continue;
    py::dict d;
    d["id"] = std::string(n.id);
    d["type"] = std::string(n.type);
    d["status"] = std::string(node_status_name(n.status));
    d["ms"] = n.ms;
    d["load_ms"] = n.load_ms;
    if (!n.warning.empty()) {
      d["warning"] = n.warning;
      warnings.append(std::string(n.id) + " (" + std::string(n.type) + "): " + n.warning);
    }
    nodes.append(d);
  }
  py::dict res;
  res["warnings"] = warnings;
  res["outputs"] = outputs;
  res["nodes"] = nodes;
  res["computed"] = r.computed;
  res["cached"] = r.cached;
  res["total_ms"] = r.total_ms;
  return res;
}

py::dict run(PySession& s, const Graph& graph, const std::vector<std::string>& outputs, const py::dict& inputs,
             const std::string& device, bool use_cache, const py::object& progress, const CancelToken* cancel,
             bool as_torch) {
  RunOptions opts;
  opts.outputs = outputs;
  opts.device = device;
  opts.use_cache = use_cache;
  if (cancel) opts.cancel = *cancel;
  for (const auto& [k, v] : inputs) {
    const std::string name = k.cast<std::string>();
    try {
      opts.inputs[name] = from_python(v, fed_kind(graph, *s.registry, name), device);
    } catch (const Error& e) {
      ErrorContext ctx = e.context();
      if (ctx.node.empty()) ctx.node = name.substr(0, name.find('.'));
      if (ctx.port.empty() && name.find('.') != std::string::npos) ctx.port = name.substr(name.find('.') + 1);
      throw Error(ctx, e.message());
    }
  }
  // A failing progress callback cancels the run; its exception is re-raised.
  auto callback_error = std::make_shared<py::object>();
  if (!progress.is_none()) {
    py::object cb = progress;
    CancelToken token = opts.cancel;
    opts.progress = [cb, token, callback_error](const ProgressEvent& ev) {
      py::gil_scoped_acquire gil;
      if (*callback_error) return;
      try {
        cb(event_dict(ev));
      } catch (py::error_already_set& e) {
        *callback_error = py::reinterpret_borrow<py::object>(e.value());
        token.cancel();
      }
    };
  }
  // Run on a worker thread; this thread keeps the GIL free except to look for
  // Ctrl-C every 50 ms.
  std::promise<RunResult> promise;
  std::future<RunResult> future = promise.get_future();
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        promise.set_value(s.session->run(graph, opts));
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    });
    while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        opts.cancel.cancel();
        PyErr_Clear();
      }
    }
    worker.join();
  }
  if (interrupted) {
    PyErr_SetString(PyExc_KeyboardInterrupt, "run cancelled by Ctrl-C");
    throw py::error_already_set();
  }
  RunResult result;
  try {
    result = future.get();
  } catch (const Cancelled&) {
    if (*callback_error) {
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(callback_error->ptr())), callback_error->ptr());
      throw py::error_already_set();
    }
    throw;
  } catch (const Error& e) {
    raise_python(e);
  }
  return run_result_dict(result, as_torch);
}

}  // namespace

void bind_session(py::module_& m) {
  py::class_<CancelToken>(m, "CancelToken", "Cancels a run from another thread: token.cancel().")
      .def(py::init<>())
      .def("cancel", &CancelToken::cancel)
      .def("reset", &CancelToken::reset)
      .def_property_readonly("cancelled", &CancelToken::cancelled);

  py::class_<PySession>(m, "Session", R"doc(Runs graphs and keeps their results cached across runs.

    s = sumi.Session()
    r = s.run(graph, inputs={"draw": "examples/face.strokes.json"})
    r["outputs"]["sketch"]          # a read-only float32 ndarray, N x C x H x W, sharing the engine's memory
    s.cache_stats()                 # hits, misses, entries, bytes, budget
)doc")
      .def(py::init([](std::shared_ptr<Registry> reg, int threads, double cache_mb) {
             auto s = std::make_unique<PySession>();
             s->registry = reg ? reg : default_registry();
             SessionOptions so;
             so.threads = threads;
             so.cache_bytes = static_cast<std::size_t>(cache_mb * 1024 * 1024);
             s->session = std::make_unique<Session>(*s->registry, so);
             return s;
           }),
           py::arg("registry") = nullptr, py::arg("threads") = 0, py::arg("cache_mb") = 1024.0)
      .def("_run", &run, py::arg("graph"), py::arg("outputs"), py::arg("inputs"), py::arg("device"),
           py::arg("use_cache"), py::arg("progress"), py::arg("cancel"), py::arg("as_torch"))
      .def_property_readonly("threads", [](const PySession& s) { return s.session->threads(); })
      .def_property_readonly("registry", [](const PySession& s) { return s.registry; })
      .def("cache_stats", [](PySession& s) {
        CacheStats c = s.session->cache().stats();
        py::dict d;
        d["hits"] = c.hits;
        d["misses"] = c.misses;
        d["evictions"] = c.evictions;
        d["entries"] = c.entries;
        d["bytes"] = c.bytes;
        d["budget"] = c.budget;
        return d;
      })
      .def("reset_cache_stats", [](PySession& s) { s.session->cache().reset_stats(); })
      .def("clear_cache", [](PySession& s) { s.session->cache().clear(); })
      .def("models", [](PySession& s) {
        py::list l;
        for (const ModelInfo& info : s.session->models().loaded()) {
          py::dict d;
          d["path"] = info.path;
          d["device"] = info.device;
          d["uses"] = info.uses;
          l.append(d);
        }
        return l;
      }, "The TorchScript models this session has loaded.");
}

}  // namespace sumi::py_bindings
