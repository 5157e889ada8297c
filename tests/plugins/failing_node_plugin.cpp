// A plugin whose node fails: its sumi::Error, thrown from the plugin's own
// code (built with hidden visibility, like the examples), must reach the
// executor as a sumi::Error naming the node and parameter, not as an unknown
// exception.
#include "engine/node_context.h"
#include "engine/plugin_api.h"

namespace {

sumi::NodeDescriptor failing_node() {
  sumi::NodeDescriptor d;
  d.id = "fx.fail";
  d.doc = "fails with a parameter error";
  d.inputs = {sumi::PortSpec::in("image", sumi::ValueKind::Image, "image")};
  d.outputs = {sumi::PortSpec::out("image", sumi::ValueKind::Image, "never made")};
  d.params = {sumi::ParamSpec::number("amount", 1.0, "anything")};
  d.compute = [](sumi::NodeContext& ctx) -> void { throw ctx.param_error("amount", "deliberate failure in a plugin"); };
  return d;
}

void register_failing(sumi::Registry& r) { r.add(failing_node()); }

}  // namespace

SUMI_PLUGIN(register_failing)
