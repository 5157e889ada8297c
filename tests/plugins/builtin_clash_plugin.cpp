// A well-formed plugin whose pack clashes with a built-in node: it defines
// fx.clash_ok and image.blur. The loader must refuse the whole pack (neither
// type is added), naming the file and the built-in nodes.
#include "engine/node_context.h"
#include "engine/plugin_api.h"

namespace {

sumi::NodeDescriptor pass_through(const char* id) {
  sumi::NodeDescriptor d;
  d.id = id;
  d.doc = "passes its image through";
  d.inputs = {sumi::PortSpec::in("image", sumi::ValueKind::Image, "image")};
  d.outputs = {sumi::PortSpec::out("image", sumi::ValueKind::Image, "the same image")};
  d.compute = [](sumi::NodeContext& ctx) { ctx.set_output("image", ctx.input("image")); };
  return d;
}

void register_clash(sumi::Registry& r) {
  r.add(pass_through("fx.clash_ok"));
  r.add(pass_through("image.blur"));
}

}  // namespace

SUMI_PLUGIN(register_clash)
