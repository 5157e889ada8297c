// The face locator's manifest (models/locate/manifest.json): the network
// file, its input size and the canonical frame its outputs are relative to
// (see models/locate/locate_model.py). Torch-free, so that the fuzz target
// for manifests parses it as face.locate does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nodes/face/face_frame.h"

namespace sumi {

struct LocatorManifest {
  std::string model;                    // the TorchScript file, resolved against the manifest's folder
  int input_size = 128;
  int canonical = 256;
  double head_cx = 0, head_cy = 0;     // canonical head-box centre, canonical px
  std::vector<FaceBox> default_parts;  // mean training boxes: the frame of an empty drawing
};

// Checks a manifest read_manifest(path, "sumi.models", "model") returned;
// throws sumi::Error naming the file and the field.
std::shared_ptr<LocatorManifest> parse_locator_manifest(const nlohmann::json& j, const std::string& path);

}  // namespace sumi
