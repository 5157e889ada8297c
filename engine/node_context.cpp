#include "engine/node_context.h"

#include "engine/plan.h"

namespace sumi {

NodeContext::NodeContext(const PlanNode& node, const Value* const* inputs, Outputs& outputs,
                         const std::string& device, ModelStore& models, const CancelToken& cancel,
                         const ProgressFn* progress)
    : node_(node),
      inputs_(inputs),
      outputs_(outputs),
      device_(device),
      models_(models),
      cancel_(cancel),
      progress_(progress) {}

void NodeContext::warn(std::string message) { outputs_.set_warning(std::move(message)); }

const std::string& NodeContext::node_id() const { return node_.id; }
const std::string& NodeContext::type() const { return node_.desc->id; }

bool NodeContext::has_input(std::string_view port) const {
  int i = node_.desc->input_index(port);
  return i >= 0 && inputs_[static_cast<std::size_t>(i)] && !inputs_[static_cast<std::size_t>(i)]->empty();
}

const Value& NodeContext::input(std::string_view port) const {
  int i = node_.desc->input_index(port);
  if (i < 0) throw port_error(port, "node has no such input (a bug in the node)");
  const Value* v = inputs_[static_cast<std::size_t>(i)];
  if (!v || v->empty()) throw port_error(port, "input is not connected or has no value");
  return *v;
}

const ParamValue& NodeContext::param(std::string_view name) const {
  int i = node_.desc->param_index(name);
  if (i < 0) throw param_error(name, "node has no such parameter (a bug in the node)");
  return node_.params[static_cast<std::size_t>(i)];
}

std::int64_t NodeContext::param_int(std::string_view name) const {
  const auto* v = std::get_if<std::int64_t>(&param(name));
  if (!v) throw param_error(name, "is not an int");
  return *v;
}

double NodeContext::param_float(std::string_view name) const {
  const ParamValue& p = param(name);
  if (const auto* i = std::get_if<std::int64_t>(&p)) return static_cast<double>(*i);
  const auto* v = std::get_if<double>(&p);
  if (!v) throw param_error(name, "is not a number");
  return *v;
}

bool NodeContext::param_bool(std::string_view name) const {
  const auto* v = std::get_if<bool>(&param(name));
  if (!v) throw param_error(name, "is not a bool");
  return *v;
}

const std::string& NodeContext::param_string(std::string_view name) const {
  const auto* v = std::get_if<std::string>(&param(name));
  if (!v) throw param_error(name, "is not a string");
  return *v;
}

const std::vector<double>& NodeContext::param_list(std::string_view name) const {
  const auto* v = std::get_if<std::vector<double>>(&param(name));
  if (!v) throw param_error(name, "is not a list");
  return *v;
}

void NodeContext::set_output(std::string_view port, Value v) {
  int i = node_.desc->output_index(port);
  if (i < 0) throw port_error(port, "node has no such output (a bug in the node)");
  const PortSpec& spec = node_.desc->outputs[static_cast<std::size_t>(i)];
  if (v.empty() || !kind_accepts(spec.kind, v.kind()))
    throw port_error(port, "node produced " + (v.empty() ? std::string("nothing") : std::string(kind_name(v.kind()))) +
                               " for an output declared " + std::string(kind_name(spec.kind)));
  outputs_[static_cast<std::size_t>(i)] = std::move(v);
}

void NodeContext::check_cancelled() const {
  if (cancel_.cancelled()) throw Cancelled();
}

void NodeContext::report_progress(double fraction) const {
  if (!progress_ || !*progress_) return;
  ProgressEvent ev{ProgressEvent::Kind::Progress, &node_.id, &node_.desc->id, 0, fraction, {}};
  (*progress_)(ev);
}

Error NodeContext::error(const std::string& message) const {
  return Error(ErrorContext{{}, node_.id, node_.desc->id, {}, {}}, message);
}
Error NodeContext::port_error(std::string_view port, const std::string& message) const {
  return Error(ErrorContext{{}, node_.id, node_.desc->id, std::string(port), {}}, message);
}
Error NodeContext::param_error(std::string_view param, const std::string& message) const {
  return Error(ErrorContext{{}, node_.id, node_.desc->id, {}, std::string(param)}, message);
}

}  // namespace sumi
