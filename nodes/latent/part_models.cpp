#include "nodes/latent/part_models.h"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "engine/atomic_file.h"
#include "engine/json_util.h"
#include "engine/model_store.h"
#include "engine/tensor.h"

namespace sumi {

const PartModel& PartModels::part(const std::string& name) const {
  auto it = parts.find(name);
  if (it == parts.end()) throw Error(ErrorContext{path, {}, {}, {}, {}}, "the manifest has no part '" + name + "'");
  return it->second;
}

std::string default_parts_manifest() { return std::string(SUMI_MODELS_DIR) + "/parts/manifest.json"; }

nlohmann::json read_manifest(const std::string& path, const std::string& format, const std::string& kind) {
  const ErrorContext ctx{path, {}, {}, {}, {}};
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = parse_json_unordered(text, path);  // depth- and UTF-8-checked, with line and column
  } catch (const Error& e) {
    throw Error(ctx, "malformed manifest: " + e.message());
  }
  if (!j.is_object() || j.value("format", "") != format)
    throw Error(ctx, "not a Sumi " + kind + " manifest (\"format\": \"" + format + "\")");
  return j;
}

std::shared_ptr<const PartModels> load_part_models(ModelStore& store, const std::string& manifest_path) {
  return store.resource<PartModels>(manifest_path, "part-manifest", [&] {
    ErrorContext ctx;
    ctx.file = manifest_path;
    const nlohmann::json j = read_manifest(manifest_path, "sumi.models", "model");
    auto pm = std::make_shared<PartModels>();
    pm->path = manifest_path;
    pm->canvas = j.value("canvas", 256);
    const auto dir = std::filesystem::path(manifest_path).parent_path();
    if (!j.contains("parts") || !j["parts"].is_object()) throw Error(ctx, "the manifest has no \"parts\"");
    for (auto it = j["parts"].begin(); it != j["parts"].end(); ++it) {
      const auto& p = it.value();
      PartModel m;
      m.name = it.key();
      try {
        auto w = p.at("window").get<std::vector<int>>();
        if (w.size() != 3) throw Error(ctx, "part '" + m.name + "': window must be [x, y, size]");
        m.window = {w[0], w[1], w[2]};
        m.input_size = p.value("input_size", 64);
        m.latent = p.value("latent", 512);
        auto file = [&](const char* key) {
          std::string f = p.value(key, std::string());
          return f.empty() ? f : (dir / f).lexically_normal().string();
        };
        m.encoder = file("encoder");
        m.decoder = file("decoder");
        m.bank = file("bank");
      } catch (const nlohmann::json::exception& e) {
        throw Error(ctx, "part '" + m.name + "': " + e.what());
      }
      pm->parts[m.name] = m;
    }
    return pm;
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
