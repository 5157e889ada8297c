// Parameters shared by the part-model nodes (latent.encode, .decode, .project).
#pragma once

#include "engine/param.h"
#include "nodes/latent/part_models.h"

namespace sumi {

inline ParamSpec part_param() {
  return ParamSpec::choice("part", {"left_eye", "right_eye", "nose", "mouth", "remainder"}, "mouth", "which face part");
}
inline ParamSpec manifest_param() {
  return ParamSpec::path("manifest", default_parts_manifest(), "part-model manifest (sumi.models JSON)").reads();
}

}  // namespace sumi
