#include "nodes/io/save_image.h"

#include "nodes/common/png.h"
#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor save_image_node() {
  NodeDescriptor d;
  d.id = "io.save_image";
  d.doc = "Writes an image to a PNG file (atomic write)";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to save")};
  d.outputs = {PortSpec::out("path", ValueKind::String, "the file written")};
  d.params = {ParamSpec::path("path", "", "output file (.png)").writes()};
  // An output node: runs without being a graph output. Cached like any node;
  // a hit re-writes the file when it was deleted or changed since (engine/descriptor.h).
  d.output_node = true;
  d.compute = [](NodeContext& ctx) {
    const std::string& path = ctx.param_string("path");
    if (path.empty()) throw ctx.param_error("path", "no output file given");
    write_png(image_to_mat(ctx.input("image"), ctx), path, &ctx.cancel_token());
    ctx.set_output("path", Value::make_string(path));
  };
  return d;
}

}  // namespace sumi
