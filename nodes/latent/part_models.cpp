#include "nodes/latent/part_models.h"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include "engine/data_root.h"
#include "engine/model_store.h"
#include "engine/runtime.h"
#include "engine/tensor.h"

namespace sumi {

std::string default_parts_manifest() { return data_path("models/parts/manifest.json"); }

std::shared_ptr<const PartModels> load_part_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<PartModels>(manifest_path, "part-manifest", [&] {
    const nlohmann::json j = read_manifest(manifest_path, "sumi.models", "model");
    auto pm = parse_part_models(j, manifest_path);
    expect_manifest_digests(store, j, manifest_path);
    return pm;
  });
}

void expect_manifest_digests(ModelStore& store, const nlohmann::json& j, const std::string& manifest_path) {
  const ErrorContext ctx{manifest_path, {}, {}, {}, {}};
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  auto expect = [&](const std::string& file, const nlohmann::json& digest) {
    const bool ok = digest.is_string() && digest.get<std::string>().size() == 64 &&
                    digest.get<std::string>().find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!ok) throw Error(ctx, "the SHA-256 recorded for " + file + " must be 64 lowercase hex digits");
    store.expect_digest((dir / file).lexically_normal().string(), digest.get<std::string>(), manifest_path);
  };
  auto from = [&](const nlohmann::json& obj) {
    if (!obj.is_object() || !obj.contains("sha256")) return;
    const auto& sha = obj["sha256"];
    if (sha.is_string() && obj.contains("file") && obj["file"].is_string()) {
      expect(obj["file"].get<std::string>(), sha);
      return;
    }
    if (!sha.is_object()) return;
    for (auto it = sha.begin(); it != sha.end(); ++it) {
      // {"encoder.pt": ...} names the object's "encoder" file; anything else is a file name.
      const std::string field = it.key().substr(0, it.key().find('.'));
      const auto f = obj.find(field);
      expect(f != obj.end() && f->is_string() ? f->get<std::string>() : it.key(), it.value());
    }
  };
  from(j);
  if (j.contains("locator")) from(j["locator"]);
  if (j.contains("refiner")) from(j["refiner"]);
  if (j.contains("parts") && j["parts"].is_object())
    for (const auto& part : j["parts"]) from(part);
}

Value run_model(const NodeContext& ctx, const std::string& model_path, const Value& input, ValueKind output_kind,
                const std::vector<std::int64_t>& input_shape, const std::vector<std::int64_t>& output_shape,
                bool inference_rewrites) {
  return run_model(ctx, model_path, std::vector<Value>{input}, output_kind, {input_shape}, output_shape,
                   inference_rewrites);
}

Value run_model(const NodeContext& ctx, const std::string& model_path, const std::vector<Value>& inputs,
                ValueKind output_kind, const std::vector<std::vector<std::int64_t>>& input_shapes,
                const std::vector<std::int64_t>& output_shape, bool inference_rewrites) {
  if (model_path.empty()) throw ctx.error("no model file: the manifest names none and no override is set");
  ModelStore::ModulePtr module;
  try {
    module = ctx.models().get(model_path, ctx.device(), input_shapes, output_shape, inference_rewrites);
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
  const torch::jit::GraphOptimizerEnabledGuard optimiser(optimise_models());  // this thread, this call
  at::Tensor y = const_cast<torch::jit::Module&>(*module).forward(std::move(args)).toTensor();
  return make_tensor_value(output_kind, y);
}

}  // namespace sumi
