// Shared declarations of the pybind11 module `sumi._sumi`: one bind_* per
// area (one file each) and the Value <-> Python conversions they share.
//
// Conversions: tensors come out as read-only NumPy arrays that share the
// value's memory (zero-copy for CPU tensors; a copy for GPU tensors) in the
// tensor's own N x C x H x W (or N x D) layout; inputs are copied in.
#pragma once

#include <pybind11/pybind11.h>

#include "engine/error.h"
#include "engine/registry.h"
#include "engine/value.h"

namespace sumi::py_bindings {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_values(py::module_& m);
void bind_graph(py::module_& m);
void bind_registry(py::module_& m);
void bind_session(py::module_& m);
void bind_python_nodes(py::module_& m);
void bind_plugins(py::module_& m);

// The registry a module-level call uses when given none: every C++ node,
// plus the Python nodes registered into it. Created on first use.
std::shared_ptr<Registry> default_registry();

// Value -> Python: ndarray (tensor kinds), dict (Strokes), list of dicts
// (PartSet), dict (record kinds; arrays as tuples), a plugin's object kind as
// its JSON document (the same way), float/int/bool/str.
py::object to_python(const Value& v);
// Python -> Value of `kind`. Accepts: ndarray / torch tensor / image path for
// Image and Mask; ndarray for Latent (N x D or D) and Features (N x C x H x W or C x H x W); dict, list of strokes or a strokes file
// path for Strokes; list of {"name","window","image"} for PartSet; the JSON
// document for a record kind or a plugin's object kind; numbers, bools,
// strings. Throws sumi::Error naming what was wrong.
Value from_python(const py::handle& obj, ValueKind kind, const std::string& device = "cpu");

// Python parameter value (bool, int, float, str, list of numbers) -> ParamValue.
ParamValue param_from_python(const py::handle& obj);
py::object param_to_python(const ParamValue& v);

// Raises the sumi.Error Python exception for a C++ sumi::Error (used by the
// exception translator; exposed for code that catches and re-raises).
[[noreturn]] void raise_python(const Error& e);

}  // namespace sumi::py_bindings
