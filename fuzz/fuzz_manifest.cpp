// The model-manifest readers: read_manifest (nodes/latent/part_models.h) on the
// bytes as a file, then the checks of each manifest kind that loads models:
// part models (sumi.models), synthesis models (sumi.synth), StyleGAN
// (sumi.stylegan), the face locator (sumi.models with a "locator"). The models
// themselves are not loaded.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "nodes/face/locator_manifest.h"
#include "nodes/latent/part_models.h"
#include "nodes/stylegan/stylegan_models.h"
#include "nodes/synth/synth_models.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sumi;
  const std::string path = fuzz::write_file("manifest.json", data, size);
  fuzz::expect_ok_or_error([&] {
    const auto pm = parse_part_models(read_manifest(path, "sumi.models", "model"), path);
    for (const auto& [name, part] : pm->parts) pm->part(name);
  });
  fuzz::expect_ok_or_error([&] {
    const auto sm = parse_synth_models(read_manifest(path, "sumi.synth", "synthesis-model"), path);
    sm->part("remainder");
  });
  fuzz::expect_ok_or_error([&] { parse_stylegan_models(read_manifest(path, "sumi.stylegan", "StyleGAN"), path); });
  fuzz::expect_ok_or_error([&] { parse_locator_manifest(read_manifest(path, "sumi.models", "model"), path); });
  return 0;
}
