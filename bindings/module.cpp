// The compiled part of the `sumi` Python package: thin bindings over the C++
// API (one file per area), imported by python/sumi/__init__.py.
#include <pybind11/numpy.h>
#include "bindings/bindings.h"
#include "engine/runtime.h"

PYBIND11_MODULE(_sumi, m) {
  m.doc() = "Sumi engine bindings (use the `sumi` package)";
  // pybind11 sets up its NumPy API table lazily, in a function-local static: two
  // threads converting their first arrays at once deadlocked (one held the
  // static's guard waiting for the GIL, the other held the GIL waiting for the
  // guard). Set it up here, at import, on one thread.
  pybind11::detail::npy_api::get();
  namespace b = sumi::py_bindings;
  b::bind_errors(m);
  b::bind_values(m);
  b::bind_graph(m);
  b::bind_registry(m);
  b::bind_session(m);
  b::bind_python_nodes(m);
  b::bind_plugins(m);
  // Node libraries register the value kinds they own (the face library's
  // Frame) with their nodes: make the built-in registry at import, so that
  // sumi.kinds() and port declarations know those kinds from the start.
  b::default_registry();
  m.def("configure_threads", [](int threads) {
    sumi::ThreadBudget b = sumi::configure_threads(threads);
    return pybind11::make_tuple(b.tbb_threads, b.torch_threads, b.cores);
  }, pybind11::arg("threads") = 0,
     "Sets the thread budget (0 = all cores): returns (TBB threads, LibTorch threads, cores). Call before running.");
}
