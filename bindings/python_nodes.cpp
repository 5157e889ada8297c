// Node types whose compute is a Python function (registered through the
// sumi.node decorator in python/sumi/__init__.py). The function runs with the
// GIL held; an exception inside it fails the run with the node id and the
// Python traceback.
#include <pybind11/stl.h>

#include <atomic>

#include "bindings/bindings.h"
#include "engine/kind_registry.h"
#include "bindings/python_error.h"
#include "engine/node_context.h"

namespace sumi::py_bindings {
namespace {

// Holds a Python object from C++ code that may outlive the interpreter.
std::shared_ptr<py::object> hold(py::object o) {
  return std::shared_ptr<py::object>(new py::object(std::move(o)), [](py::object* p) {
    if (Py_IsInitialized()) {
      py::gil_scoped_acquire gil;
      delete p;
    }  // else: the interpreter is gone; leak rather than touch it
  });
}

ValueKind kind_of(const std::string& name, const std::string& node) {
  ValueKind k;
  if (!parse_kind(name, k)) throw Error(ErrorContext{{}, {}, node, {}, {}}, "unknown value kind '" + name + "'");
  return k;
}

ParamType param_type_of(const std::string& name, const std::string& node) {
  for (ParamType t : {ParamType::Int, ParamType::Float, ParamType::Bool, ParamType::String, ParamType::Enum,
                      ParamType::IntList, ParamType::FloatList, ParamType::Path, ParamType::Model})
    if (param_type_name(t) == name) return t;
  throw Error(ErrorContext{{}, {}, node, {}, {}}, "unknown parameter type '" + name + "'");
}


void register_node(const std::shared_ptr<Registry>& reg, const std::string& id, int version, const std::string& doc,
                   const std::vector<std::tuple<std::string, std::string, bool, std::string>>& inputs,
                   const std::vector<std::tuple<std::string, std::string, std::string>>& outputs, const py::list& params,
                   const py::function& fn, bool cacheable, bool replace, bool output_node) {
  NodeDescriptor d;
  d.id = id;
  d.version = version;
  // Every registration is a new implementation: redefining a node (same id
  // and version, new code) must not reuse results cached by the old one.
  static std::atomic<std::uint64_t> registrations{0};
  d.implementation = ++registrations;
  d.doc = doc;
  d.category = "python";
  // A plugin's nodes get the plugin file as origin from the loader (engine/plugins.cpp).
  try {
    d.origin = "python: " + fn.attr("__code__").attr("co_filename").cast<std::string>();
  } catch (py::error_already_set&) {
    d.origin = "python";
  }
  d.cacheable = cacheable;
  d.output_node = output_node;
  for (const auto& [name, kind, required, pdoc] : inputs) d.inputs.push_back({name, kind_of(kind, id), required, pdoc});
  for (const auto& [name, kind, pdoc] : outputs) d.outputs.push_back({name, kind_of(kind, id), true, pdoc});
  if (d.outputs.empty()) throw Error(ErrorContext{{}, {}, id, {}, {}}, "a node needs at least one output");
  for (const py::handle& h : params) {
    py::dict p = py::reinterpret_borrow<py::dict>(h);
    ParamSpec spec;
    spec.name = p["name"].cast<std::string>();
    spec.type = param_type_of(p["type"].cast<std::string>(), id);
    spec.def = param_from_python(p["default"]);
    if (!p["min"].is_none()) spec.min = p["min"].cast<double>();
    if (!p["max"].is_none()) spec.max = p["max"].cast<double>();
    spec.choices = p["choices"].cast<std::vector<std::string>>();
    spec.length = p["length"].cast<std::size_t>();
    spec.doc = p["doc"].cast<std::string>();
    spec.live = p.contains("live") && p["live"].cast<bool>();
    d.params.push_back(std::move(spec));
  }
  auto function = hold(fn);
  const auto input_specs = d.inputs;
  const auto output_specs = d.outputs;
  const auto param_specs = d.params;
  d.compute = [function, input_specs, output_specs, param_specs](NodeContext& ctx) {
    py::gil_scoped_acquire gil;
    py::dict kwargs;
    for (const PortSpec& in : input_specs)
      kwargs[py::str(in.name)] = ctx.has_input(in.name) ? to_python(ctx.input(in.name)) : py::none();
    for (const ParamSpec& p : param_specs) kwargs[py::str(p.name)] = param_to_python(ctx.param_value(p.name));
    py::object result;
    try {
      result = (*function)(**kwargs);
    } catch (py::error_already_set& e) {
      throw ctx.error("the Python function raised an exception:\n" + bindings::format_python_error(e));
    }
    auto set = [&](const PortSpec& out, const py::handle& obj) {
      if (obj.is_none()) throw ctx.port_error(out.name, "the Python function returned None for this output");
      try {
        ctx.set_output(out.name, from_python(obj, out.kind, ctx.device()));
      } catch (const Error& e) {
        throw ctx.port_error(out.name, e.message());
      }
    };
    // One output: the value itself; a dict is {output name: value} unless that output is a record kind,
    // whose values are dicts.
    if (output_specs.size() == 1 && (!py::isinstance<py::dict>(result) || is_record_kind(output_specs.front().kind))) {
      set(output_specs.front(), result);
      return;
    }
    if (!py::isinstance<py::dict>(result))
      throw ctx.error("a node with several outputs must return a dict {output name: value}");
    py::dict out = result.cast<py::dict>();
    for (const PortSpec& o : output_specs) {
      if (!out.contains(o.name)) throw ctx.port_error(o.name, "missing from the dict the Python function returned");
      set(o, out[py::str(o.name)]);
    }
  };
  if (replace) reg->replace(std::move(d));
  else reg->add(std::move(d));
}

}  // namespace

void bind_python_nodes(py::module_& m) {
  m.def("_register_node", &register_node, py::arg("registry"), py::arg("id"), py::arg("version"), py::arg("doc"),
        py::arg("inputs"), py::arg("outputs"), py::arg("params"), py::arg("fn"), py::arg("cacheable"),
        py::arg("replace"), py::arg("output_node") = false, "Registers a Python function as a node type (use the sumi.node decorator).");
}

}  // namespace sumi::py_bindings
