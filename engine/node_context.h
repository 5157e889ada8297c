// What a node's compute function sees: its inputs, parameters and outputs,
// the run's device, the model store, cancellation and progress.
//
//   void compute(NodeContext& ctx) {
//     const Value& img = ctx.input("image");
//     double sigma = ctx.param_float("sigma");
//     ctx.set_output("image", make_image(...));
//   }
//
// Parameter values were checked against the descriptor before the run, so
// the typed getters only fail on a name or type the node itself got wrong.
//
// Thread safety: one context per node execution, used by that thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cache.h"
#include "engine/error.h"
#include "engine/param.h"
#include "engine/progress.h"
#include "engine/value.h"

namespace sumi {

class ModelStore;
struct PlanNode;

class NodeContext {
 public:
  // `inputs` holds one pointer per declared input (nullptr = unconnected).
  NodeContext(const PlanNode& node, const Value* const* inputs, Outputs& outputs,
              const std::string& device, ModelStore& models, const CancelToken& cancel,
              const ProgressFn* progress);

  const std::string& node_id() const;
  const std::string& type() const;

  bool has_input(std::string_view port) const;
  // Throws an Error naming the node and port when not connected.
  const Value& input(std::string_view port) const;

  std::int64_t param_int(std::string_view name) const;
  double param_float(std::string_view name) const;
  bool param_bool(std::string_view name) const;
  // String, Enum, Path and Model parameters; paths are already resolved
  // against the graph file's folder.
  const std::string& param_string(std::string_view name) const;
  const std::vector<double>& param_list(std::string_view name) const;
  // Any parameter's value as stored (for generic code such as Python nodes).
  const ParamValue& param_value(std::string_view name) const { return param(name); }

  // Checks the value's kind against the port.
  void set_output(std::string_view port, Value v);

  const std::string& device() const { return device_; }
  ModelStore& models() const { return models_; }

  // Long nodes call this between steps; throws Cancelled.
  void check_cancelled() const;
  bool cancelled() const { return cancel_.cancelled(); }
  // The run's token, for helpers that work in bands outside the node's own
  // code (nodes/common/cancellable.h); check() throws Cancelled.
  const CancelToken& cancel_token() const { return cancel_; }
  // Reports progress within this node, 0..1 (a Progress event).
  void report_progress(double fraction) const;

  // A warning on the run result (RunResult::nodes[i].warning): the node
  // produced its outputs but something deserves the user's attention, e.g.
  // an empty drawing. Kept with the outputs, so a cached result repeats it.
  void warn(std::string message);

  // Errors carrying this node's context.
  Error error(const std::string& message) const;
  Error port_error(std::string_view port, const std::string& message) const;
  Error param_error(std::string_view param, const std::string& message) const;

 private:
  const ParamValue& param(std::string_view name) const;
  const PlanNode& node_;
  const Value* const* inputs_;
  Outputs& outputs_;
  const std::string& device_;
  ModelStore& models_;
  const CancelToken& cancel_;
  const ProgressFn* progress_;
};

}  // namespace sumi
