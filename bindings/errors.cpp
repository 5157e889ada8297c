// sumi.Error (with .file .node .type .port .param .message) and
// sumi.ValidationError (with .errors, a list of sumi.Error), raised for every
// sumi::Error that crosses into Python; sumi.Cancelled for cancelled runs.
#include "bindings/bindings.h"
#include "engine/validate.h"

namespace sumi::py_bindings {
namespace {

// Exception types live as long as the interpreter: plain handles, never
// released (a static py::object would be released after finalisation).
py::handle g_error, g_validation_error, g_cancelled;

void set_context(py::object& err, const ErrorContext& c, const std::string& message) {
  err.attr("file") = c.file;
  err.attr("node") = c.node;
  err.attr("type") = c.type;
  err.attr("port") = c.port;
  err.attr("param") = c.param;
  err.attr("message") = message;
}

py::object make_error(const Error& e) {
  py::object err = g_error(std::string(e.what()));
  set_context(err, e.context(), e.message());
  return err;
}

}  // namespace

void raise_python(const Error& e) {
  if (dynamic_cast<const Cancelled*>(&e)) {
    PyErr_SetString(g_cancelled.ptr(), e.what());
    throw py::error_already_set();
  }
  py::object err;
  if (const auto* v = dynamic_cast<const ValidationError*>(&e)) {
    err = g_validation_error(std::string(e.what()));
    py::list errors;
    for (const Error& one : v->errors()) errors.append(make_error(one));
    err.attr("errors") = errors;
    set_context(err, v->errors().empty() ? ErrorContext{} : v->errors().front().context(), e.message());
  } else {
    err = make_error(e);
  }
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
  throw py::error_already_set();
}

void bind_errors(py::module_& m) {
  py::object base = py::module_::import("builtins").attr("Exception");
  g_error = PyErr_NewExceptionWithDoc(
      "sumi.Error", "A Sumi error; .file .node .type .port .param name where, .message says what.", base.ptr(), nullptr);
  g_validation_error = PyErr_NewExceptionWithDoc(
      "sumi.ValidationError", "A graph failed validation; .errors lists every problem as a sumi.Error.", g_error.ptr(),
      nullptr);
  g_cancelled = PyErr_NewExceptionWithDoc("sumi.Cancelled", "A run was cancelled.", g_error.ptr(), nullptr);
  for (const char* attr : {"file", "node", "type", "port", "param", "message"}) g_error.attr(attr) = "";
  g_validation_error.attr("errors") = py::list();
  m.attr("Error") = py::reinterpret_borrow<py::object>(g_error);
  m.attr("ValidationError") = py::reinterpret_borrow<py::object>(g_validation_error);
  m.attr("Cancelled") = py::reinterpret_borrow<py::object>(g_cancelled);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      try {
        raise_python(e);
      } catch (py::error_already_set& set) {
        set.restore();
      }
    }
  });
}

}  // namespace sumi::py_bindings
