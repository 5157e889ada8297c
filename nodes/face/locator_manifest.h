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
  // "optimize_for_inference" (locator section): both networks are loaded
  // through torch::jit::optimize_for_inference on the CPU (engine/frozen_models.h).
  bool optimize_for_inference = false;
  // The optional part refiner (manifest "refiner"): a third look at the
  // drawing warped into the found frame, cut to `crop` (canonical px).
  struct Refiner {
    std::string model;             // empty: the manifest has none
    int input_size = 128;          // the crop is warped at canonical resolution; its side must equal this
    double x0 = 0, y0 = 0;         // crop origin, canonical px
    double max_shift = 16;         // a refined centre further than this (canonical px) from the second look is ignored
    bool head = false;             // the refined head centre moves the frame's centre
    int passes = 2;                // the locator's looks its training crops were cut after (face.locate's default)
  } refiner;
};

// Checks a manifest read_manifest(path, "sumi.models", "model") returned;
// throws sumi::Error naming the file and the field.
std::shared_ptr<LocatorManifest> parse_locator_manifest(const nlohmann::json& j, const std::string& path);

}  // namespace sumi
