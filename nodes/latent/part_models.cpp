#include "nodes/latent/part_models.h"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "engine/model_store.h"
#include "engine/tensor.h"

namespace sumi {

std::string default_parts_manifest() { return std::string(SUMI_MODELS_DIR) + "/parts/manifest.json"; }

std::shared_ptr<const PartModels> load_part_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<PartModels>(manifest_path, "part-manifest", [&] {
    return parse_part_models(read_manifest(manifest_path, "sumi.models", "model"), manifest_path);
  });
}

Value run_model(const NodeContext& ctx, const std::string& model_path, const Value& input, ValueKind output_kind,
                const std::vector<std::int64_t>& input_shape, const std::vector<std::int64_t>& output_shape) {
  return run_model(ctx, model_path, std::vector<Value>{input}, output_kind, {input_shape}, output_shape);
}

Value run_model(const NodeContext& ctx, const std::string& model_path, const std::vector<Value>& inputs,
                ValueKind output_kind, const std::vector<std::vector<std::int64_t>>& input_shapes,
                const std::vector<std::int64_t>& output_shape) {
  if (model_path.empty()) throw ctx.error("no model file: the manifest names none and no override is set");
  ModelStore::ModulePtr module;
  try {
    module = ctx.models().get(model_path, ctx.device(), input_shapes, output_shape);
  } catch (const Error& e) {
    throw Error(ErrorContext{model_path, ctx.node_id(), ctx.type(), {}, {}}, e.message());
  }
  torch::NoGradGuard no_grad;
  std::vector<c10::IValue> args;
  args.reserve(inputs.size());
  const c10::Device device(ctx.device());
  for (const Value& v : inputs) {
    const at::Tensor& x = v.tensor();
    args.emplace_back(x.device() == device ? x : x.to(device));
  }
  at::Tensor y = const_cast<torch::jit::Module&>(*module).forward(std::move(args)).toTensor();
  return make_tensor_value(output_kind, y);
}

}  // namespace sumi
