#include "nodes/io/strokes_input.h"

#include "engine/node_context.h"
#include "nodes/common/strokes_file.h"

namespace sumi {

NodeDescriptor strokes_input_node() {
  NodeDescriptor d;
  d.id = "io.strokes_input";
  d.doc = "The user's strokes, from a strokes file or fed by the caller";
  d.outputs = {PortSpec::out("strokes", strokes_kind(), "the drawing")};
  d.params = {ParamSpec::path("path", "", "strokes file (*.strokes.json); not read when the strokes are fed").reads()};
  d.compute = [](NodeContext& ctx) {
    const std::string& path = ctx.param_string("path");
    if (path.empty())
      throw ctx.param_error("path", "no strokes: set a strokes file, or feed them (sumi run --in " + ctx.node_id() + "=FILE)");
    ctx.set_output("strokes", make_strokes(load_strokes_file(path)));
  };
  return d;
}

}  // namespace sumi
