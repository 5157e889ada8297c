// sumi.Graph: load, save, build and edit graphs; validation raises
// sumi.ValidationError carrying every problem.
#include <pybind11/stl.h>

#include "bindings/bindings.h"
#include "engine/graph_file.h"
#include "engine/introspect.h"
#include "engine/subgraph.h"
#include "engine/validate.h"

namespace sumi::py_bindings {
namespace {

py::dict node_dict(const NodeInstance& n) {
  py::dict d, inputs, params;
  d["type"] = n.type;
  for (const auto& [port, src] : n.inputs) inputs[py::str(port)] = src.str();
  for (const auto& [name, v] : n.params) params[py::str(name)] = param_to_python(v);
  d["inputs"] = inputs;
  d["params"] = params;
  return d;
}

void set_params(Graph& g, const std::string& node, const py::kwargs& params) {
  for (const auto& [k, v] : params) g.set_param(node, k.cast<std::string>(), param_from_python(v));
}

std::vector<std::string> targets_from_python(const py::handle& obj) {
  if (py::isinstance<py::str>(obj)) return {obj.cast<std::string>()};
  return obj.cast<std::vector<std::string>>();
}

py::dict interface_dict(const SubgraphInterface& in) {
  auto ports = [](const std::vector<SubgraphInterface::Port>& list, bool input) {
    py::dict d;
    for (const auto& p : list) {
      py::dict e;
      e["kind"] = p.kind;
      e["doc"] = p.doc;
      if (input) e["to"] = p.to;
      else e["source"] = p.to.empty() ? std::string() : p.to.front();
      d[py::str(p.name)] = e;
    }
    return d;
  };
  py::dict params;
  for (const auto& p : in.params) {
    py::dict e;
    e["default"] = param_to_python(p.def);
    e["doc"] = p.doc;
    e["uses"] = p.uses;  // the inner "node.param"s it sets
    params[py::str(p.name)] = e;
  }
  py::dict d;
  d["inputs"] = ports(in.inputs, true);
  d["outputs"] = ports(in.outputs, false);
  d["params"] = params;
  return d;
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<Graph>(m, "Graph", R"doc(A Sumi graph: nodes, their parameters, links and named outputs.

    g = sumi.Graph(name="demo")
    g.add_node("draw", "io.strokes_input")
    g.add_node("sketch", "sketch.rasterise", size=256)
    g.link("draw.strokes", "sketch.strokes")
    g.set_output("sketch", "sketch.image")
    g.validate()            # raises sumi.ValidationError listing every problem
    g.save("demo.sumi.json")
)doc")
      .def(py::init([](const std::string& name) {
             Graph g;
             g.name = name;
             return g;
           }),
           py::arg("name") = "")
      .def_static("load", [](const py::object& path) {
             return load_graph_file(py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>());
           }, py::arg("path"), "Reads a graph file (*.sumi.json); path is a str or pathlib.Path.")
      .def_static("from_json", &parse_graph, py::arg("text"), py::arg("source") = "<graph>", "Parses graph-file text.")
      .def("save", [](const Graph& g, const py::object& path) {
             save_graph_file(g, py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>());
           }, py::arg("path"), "Writes the graph file atomically, keys in a stable order.")
      .def("to_json", &graph_to_json, "The graph-file text.")
      .def("to_dot", &graph_to_dot, "Graphviz dot text.")
      .def_readwrite("name", &Graph::name)
      .def_readwrite("doc", &Graph::doc)
      .def_readwrite("base_dir", &Graph::base_dir, "Folder relative file parameters resolve against.")
      .def_readonly("source_file", &Graph::source_file)
      .def("add_node", [](Graph& g, const std::string& id, const std::string& type, const py::kwargs& params) {
             g.add_node(id, type);
             set_params(g, id, params);
           }, py::arg("id"), py::arg("type"), "Adds a node of a registered type; keyword arguments set parameters.")
      .def("remove_node", &Graph::remove_node, py::arg("id"), "Removes a node and every link and output using it.")
      .def("set_param", [](Graph& g, const std::string& node, const std::string& param, const py::object& value) {
             g.set_param(node, param, param_from_python(value));
           }, py::arg("node"), py::arg("param"), py::arg("value"))
      .def("set_params", [](Graph& g, const std::string& node, const py::kwargs& params) { set_params(g, node, params); },
           py::arg("node"))
      .def("clear_param", &Graph::clear_param, py::arg("node"), py::arg("param"), "Back to the default value.")
      .def("link", &Graph::link, py::arg("source"), py::arg("target"), "Links \"node.output\" to \"node.input\".")
      .def("unlink", &Graph::unlink, py::arg("target"))
      .def("set_output", &Graph::set_output, py::arg("name"), py::arg("source"), "Names \"node.output\" as a graph output.")
      .def("remove_output", &Graph::remove_output, py::arg("name"))
      .def_property_readonly("nodes", [](const Graph& g) {
             py::dict d;
             for (const auto& [id, n] : g.nodes()) d[py::str(id)] = node_dict(n);
             return d;
           }, "{id: {'type', 'inputs', 'params'}} (a copy).")
      .def_property_readonly("outputs", [](const Graph& g) {
             py::dict d;
             for (const auto& [name, src] : g.outputs()) d[py::str(name)] = src.str();
             return d;
           })
      .def("add_subgraph", [](Graph& g, const std::string& id, const py::object& file, const py::kwargs& params) {
             g.add_node(id, kSubgraphType);
             g.set_param(id, kSubgraphFileParam, py::str(py::module_::import("os").attr("fspath")(file)).cast<std::string>());
             set_params(g, id, params);
           }, py::arg("id"), py::arg("file"),
           "Adds an instance of the graph file `file` (relative to this graph's folder); keyword arguments "
           "set its parameters (the file's variables). Its ports are the file's interface inputs and outputs.")
      .def("set_variable", [](Graph& g, const std::string& name, const py::object& value, const std::string& doc) {
             g.set_variable(name, param_from_python(value), doc);
           }, py::arg("name"), py::arg("value"), py::arg("doc") = "",
           "Sets a graph variable: parameters written \"$name\" take its value. Used as a subgraph, the "
           "graph's variables are its parameters.")
      .def("remove_variable", &Graph::remove_variable, py::arg("name"))
      .def_property_readonly("variables", [](const Graph& g) {
             py::dict d;
             for (const auto& [name, v] : g.variables()) d[py::str(name)] = param_to_python(v.value);
             return d;
           }, "{name: value} (a copy).")
      .def("set_interface_input", [](Graph& g, const std::string& name, const py::object& targets, const std::string& doc) {
             g.set_interface_input(name, targets_from_python(targets), doc);
           }, py::arg("name"), py::arg("to"), py::arg("doc") = "",
           "Declares an input of this graph used as a subgraph, feeding the inner \"node.port\" input(s) `to`.")
      .def("remove_interface_input", &Graph::remove_interface_input, py::arg("name"))
      .def("interface", [](const Graph& g, std::shared_ptr<Registry> reg) {
             return interface_dict(describe_interface(g, reg ? *reg : *default_registry()));
           }, py::arg("registry") = nullptr,
           "This graph as a subgraph: {'inputs': {name: {kind, doc, to}}, 'outputs': {name: {kind, doc, source}}, "
           "'params': {name: {default, doc, uses}}} (uses: the inner \"node.param\"s the parameter sets).")
      .def("expand", [](const Graph& g, std::shared_ptr<Registry> reg) {
             return expand_graph(g, reg ? *reg : *default_registry());
           }, py::arg("registry") = nullptr,
           "The graph with every subgraph instance replaced by its inner nodes (ids \"instance/inner\") and "
           "variables substituted; raises sumi.ValidationError when an instance cannot be expanded.")
      .def("validate", [](const Graph& g, std::shared_ptr<Registry> reg) {
             auto errors = validate(g, reg ? *reg : *default_registry());
             if (!errors.empty()) raise_python(ValidationError(std::move(errors)));
           }, py::arg("registry") = nullptr, "Raises sumi.ValidationError listing every problem.")
      .def("copy", [](const Graph& g) { return Graph(g); })
      .def("__eq__", [](const Graph& a, const Graph& b) { return a.same_semantics(b); })
      .def("__repr__", [](const Graph& g) {
        return "<sumi.Graph '" + g.name + "': " + std::to_string(g.nodes().size()) + " nodes, " +
               std::to_string(g.outputs().size()) + " outputs>";
      });
}

}  // namespace sumi::py_bindings
