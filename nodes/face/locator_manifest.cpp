#include "nodes/face/locator_manifest.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "nodes/latent/part_models.h"  // manifest_int, kManifestMaxSize

namespace sumi {

std::shared_ptr<LocatorManifest> parse_locator_manifest(const nlohmann::json& j, const std::string& path) {
  static constexpr const char* kSized[] = {"left_eye", "right_eye", "nose", "mouth"};
  const ErrorContext ctx{path, {}, {}, {}, {}};
  auto l = std::make_shared<LocatorManifest>();
  try {
    const auto& m = j.at("locator");
    l->model = (std::filesystem::path(path).parent_path() / m.at("file").get<std::string>()).lexically_normal().string();
    l->input_size = manifest_int(m, "input_size", ctx, "locator", 8, 1024);
    l->optimize_for_inference = m.value("optimize_for_inference", false);
    l->canonical = manifest_int(j.at("canonical"), "size", ctx, "canonical", 8, kManifestMaxSize);
    const auto head = j.at("canonical").at("head_box").get<std::vector<double>>();
    if (head.size() != 4) throw Error(ctx, "canonical.head_box must be [x0, y0, x1, y1]");
    l->head_cx = (head[0] + head[2]) / 2;
    l->head_cy = (head[1] + head[3]) / 2;
    for (const char* p : kSized) {
      const auto b = j.at("canonical").at("parts").at(p).get<std::vector<double>>();
      if (b.size() != 4) throw Error(ctx, std::string("canonical.parts.") + p + " must be [cx, cy, w, h]");
      l->default_parts.push_back({p, b[0], b[1], b[2], b[3]});
    }
    if (const auto r = j.find("refiner"); r != j.end()) {
      l->refiner.model = (std::filesystem::path(path).parent_path() / r->at("file").get<std::string>()).lexically_normal().string();
      l->refiner.input_size = manifest_int(*r, "input_size", ctx, "refiner", 8, 1024);
      const auto crop = r->at("crop").get<std::vector<double>>();
      if (crop.size() != 3 || crop[2] != l->refiner.input_size || crop[0] < 0 || crop[1] < 0 ||
          crop[0] + crop[2] > l->canonical || crop[1] + crop[2] > l->canonical)
        throw Error(ctx, "refiner.crop must be [x0, y0, side] inside the canonical frame, side = refiner.input_size");
      l->refiner.x0 = crop[0];
      l->refiner.y0 = crop[1];
      l->refiner.max_shift = r->value("max_shift", 16.0);
      l->refiner.head = r->value("head", false);
      l->refiner.passes = manifest_int(*r, "passes", ctx, "refiner", 1, 2, 2);
      if (!(l->refiner.max_shift >= 0 && l->refiner.max_shift <= l->canonical))
        throw Error(ctx, "refiner.max_shift must be between 0 and the canonical size");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ctx, std::string("malformed locator manifest: ") + e.what());
  }
  return l;
}

}  // namespace sumi
