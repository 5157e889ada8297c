// Part-model manifests ("sumi.models" JSON next to the weights) and running
// their TorchScript encoders and decoders.
//
//   const PartModels& pm = load_part_models(ctx.models(), manifest_path);
//   const PartModel& eye = pm.part("left_eye");            // window, sizes, files
//   Value z = run_model(ctx, eye.encoder, crop_tensor_value);
//
// Manifest:
//   { "format": "sumi.models", "version": 1, "name": "...", "canvas": 256,
//     "parts": { "left_eye": { "window": [x, y, size], "input_size": 64, "latent": 512,
//                              "encoder": "left_eye_encoder.pt", "decoder": "left_eye_decoder.pt",
//                              "bank": "left_eye_bank.npy" }, ... },
//     "data": {...}, "licence": "...", "training": {...} }
// File names are relative to the manifest's folder.
//
// Thread safety: manifests are immutable once loaded (cached in the ModelStore).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/node_context.h"
#include "nodes/common/part_set.h"

namespace sumi {

struct PartModel {
  std::string name;
  Window window;       // on the manifest's canvas
  int input_size = 64;  // crops are scaled to input_size x input_size
  int latent = 512;
  std::string encoder, decoder, bank;  // absolute paths
};

struct PartModels {
  std::string path;
  int canvas = 256;
  std::map<std::string, PartModel> parts;
  // Throws an Error naming the manifest when the part is missing.
  const PartModel& part(const std::string& name) const;
};

// Reads any model manifest: JSON whose "format" is `format`. Errors name the
// file: "malformed manifest: ...", "not a Sumi <kind> manifest (...)".
nlohmann::json read_manifest(const std::string& path, const std::string& format, const std::string& kind);

// Integers in manifests: a JSON number with an integral value in [lo, hi]
// (never a silent conversion of 1e300 or "64"); `def` when the key is absent
// (required when def is empty). Errors name the manifest and "what".
constexpr int kManifestMaxSize = 16384;  // canvases, windows, sizes (twice the largest canvas)
int manifest_int(const nlohmann::json& obj, const char* key, const ErrorContext& ctx, const std::string& what, int lo,
                 int hi, std::optional<int> def = std::nullopt);
// A window [x, y, size]: |x|, |y| <= kManifestMaxSize, 1 <= size <= kManifestMaxSize.
Window manifest_window(const nlohmann::json& obj, const ErrorContext& ctx, const std::string& what);

// Registers with the store the SHA-256 digests a manifest records, so each file
// is checked when it is loaded: a top-level or "locator" object's "sha256"
// (a digest of its "file", or {file name: digest}) and each part's "sha256"
// ({"encoder.pt": digest, ...}, naming the part's "encoder" file). Errors
// name the manifest when a digest is not 64 hex digits.
void expect_manifest_digests(ModelStore& store, const nlohmann::json& j, const std::string& manifest_path);

// Loads (once per session, reloaded when the file changes) and validates a manifest.
std::shared_ptr<const PartModels> load_part_models(ModelStore& store, const std::string& manifest_path);
// The checks of load_part_models on a manifest read_manifest returned (torch-free:
// nodes/latent/manifest.cpp); `manifest_path` names it in errors and anchors its files.
std::shared_ptr<PartModels> parse_part_models(const nlohmann::json& j, const std::string& manifest_path);

// Runs a TorchScript model with one tensor argument on the run's device; the
// model is loaded through the session's ModelStore and checked once against
// `input_shape` -> `output_shape` (-1 = any). Errors name the node and the file.
// `inference_rewrites`: the manifest's opt-in to torch::jit::optimize_for_inference
// (engine/frozen_models.h).
Value run_model(const NodeContext& ctx, const std::string& model_path, const Value& input, ValueKind output_kind,
                const std::vector<std::int64_t>& input_shape, const std::vector<std::int64_t>& output_shape,
                bool inference_rewrites = false);
// The same for a model taking several tensors (forward(a, b, ...)), one shape each.
Value run_model(const NodeContext& ctx, const std::string& model_path, const std::vector<Value>& inputs,
                ValueKind output_kind, const std::vector<std::vector<std::int64_t>>& input_shapes,
                const std::vector<std::int64_t>& output_shape, bool inference_rewrites = false);

// The default manifest of the shipped part models.
std::string default_parts_manifest();

}  // namespace sumi
