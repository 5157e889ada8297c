// sumi.Registry and node-type introspection: ports, parameters with
// defaults, ranges and docs (also as help() text).
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "engine/introspect.h"
#include "engine/plugins.h"
#include "nodes/nodes.h"

namespace sumi::py_bindings {
namespace {

std::string help_text(const NodeDescriptor& d) {
  std::string s = d.id + " (v" + std::to_string(d.version) + "): " + d.doc + "\n" + "origin: " + origin_label(d) + "\n";
  if (!d.inputs.empty()) s += "\nInputs:\n";
  for (const auto& p : d.inputs)
    s += "  " + p.name + ": " + std::string(kind_name(p.kind)) + (p.required ? "" : " (optional)") + " - " + p.doc + "\n";
  if (!d.outputs.empty()) s += "\nOutputs:\n";
  for (const auto& p : d.outputs) s += "  " + p.name + ": " + std::string(kind_name(p.kind)) + " - " + p.doc + "\n";
  if (!d.params.empty()) s += "\nParameters:\n";
  for (const auto& p : d.params) {
    s += "  " + p.name + ": " + std::string(param_type_name(p.type)) + " = " + param_to_string(p.def);
    if (p.min || p.max)
      s += " [" + (p.min ? param_to_string(*p.min) : std::string()) + ".." + (p.max ? param_to_string(*p.max) : std::string()) + "]";
    if (!p.choices.empty()) {
      s += " {";
      for (std::size_t i = 0; i < p.choices.size(); ++i) s += (i ? ", " : "") + p.choices[i];
      s += "}";
    }
    s += " - " + p.doc + "\n";
  }
  return s;
}

py::dict port_dict(const PortSpec& p) {
  py::dict d;
  d["name"] = p.name;
  d["kind"] = std::string(kind_name(p.kind));
  d["required"] = p.required;
  d["doc"] = p.doc;
  return d;
}

py::dict param_dict(const ParamSpec& p) {
  py::dict d;
  d["name"] = p.name;
  d["type"] = std::string(param_type_name(p.type));
  d["default"] = param_to_python(p.def);
  d["min"] = p.min ? py::cast(*p.min) : py::none();
  d["max"] = p.max ? py::cast(*p.max) : py::none();
  d["choices"] = p.choices;
  d["doc"] = p.doc;
  d["live"] = p.live;
  return d;
}

struct NodeType {
  std::shared_ptr<const NodeDescriptor> d;
};

}  // namespace

std::shared_ptr<Registry> default_registry() {
  static std::shared_ptr<Registry> reg = [] {
    auto r = std::make_shared<Registry>();
    register_all_nodes(*r);
    return r;
  }();
  return reg;
}

void bind_registry(py::module_& m) {
  py::class_<NodeType>(m, "NodeType", "A registered node type (read-only).")
      .def_property_readonly("id", [](const NodeType& t) { return t.d->id; })
      .def_property_readonly("version", [](const NodeType& t) { return t.d->version; })
      .def_property_readonly("category", [](const NodeType& t) { return t.d->category; })
      .def_property_readonly("doc", [](const NodeType& t) { return t.d->doc; })
      .def_property_readonly("cacheable", [](const NodeType& t) { return t.d->cacheable; })
      .def_property_readonly("output_node", [](const NodeType& t) { return t.d->output_node; },
                             "True for nodes that write files: they run without being graph outputs.")
      .def_property_readonly("origin", [](const NodeType& t) { return origin_label(*t.d); },
                             "Where the type comes from: 'built-in', a plugin file, or 'python: FILE' (@sumi.node).")
      .def_property_readonly("inputs", [](const NodeType& t) {
        py::list l;
        for (const auto& p : t.d->inputs) l.append(port_dict(p));
        return l;
      })
      .def_property_readonly("outputs", [](const NodeType& t) {
        py::list l;
        for (const auto& p : t.d->outputs) l.append(port_dict(p));
        return l;
      })
      .def_property_readonly("params", [](const NodeType& t) {
        py::list l;
        for (const auto& p : t.d->params) l.append(param_dict(p));
        return l;
      })
      .def_property_readonly("__doc__", [](const NodeType& t) { return help_text(*t.d); })
      .def("help", [](const NodeType& t) { return help_text(*t.d); }, "Ports and parameters as text.")
      .def("to_json", [](const NodeType& t) { return descriptor_to_json(*t.d); })
      .def("__repr__", [](const NodeType& t) { return "<sumi.NodeType " + t.d->id + ">"; });

  py::class_<Registry, std::shared_ptr<Registry>>(m, "Registry",
                                                  "Node types by id. sumi.default_registry() holds every built-in node.")
      .def(py::init([](bool builtins) {
             auto r = std::make_shared<Registry>();
             if (builtins) register_all_nodes(*r);
             return r;
           }),
           py::arg("builtins") = true)
      .def("__contains__", [](const Registry& r, const std::string& id) { return r.find(id) != nullptr; })
      .def("__len__", &Registry::size)
      .def("__getitem__", [](const Registry& r, const std::string& id) {
        auto d = r.find_shared(id);
        if (!d) throw py::key_error("no node type '" + id + "'");
        return NodeType{d};
      })
      .def("types", [](const Registry& r) {
        std::vector<NodeType> out;
        for (const NodeDescriptor* d : r.all()) out.push_back({r.find_shared(d->id)});
        return out;
      }, "Every node type, sorted by id.")
      .def("ids", [](const Registry& r) {
        std::vector<std::string> out;
        for (const NodeDescriptor* d : r.all()) out.push_back(d->id);
        return out;
      })
      .def("to_json", &registry_to_json);

  m.def("default_registry", &default_registry, "The registry used when none is given.");
}

}  // namespace sumi::py_bindings
