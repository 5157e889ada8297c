// A Python exception as Python prints it (traceback and all), for Sumi's error
// messages: used by the _sumi module's Python nodes and by the embedded
// interpreter that loads Python plugins for the CLI and the server.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace sumi::bindings {

inline std::string format_python_error(pybind11::error_already_set& e) {
  try {
    pybind11::list lines = pybind11::module_::import("traceback").attr("format_exception")(e.type(), e.value(), e.trace());
    std::string out;
    for (const pybind11::handle& l : lines) out += l.cast<std::string>();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  } catch (...) {
    return e.what();
  }
}

}  // namespace sumi::bindings
