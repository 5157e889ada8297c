// Frozen copies of TorchScript models, cached on disk, so that a process
// loads its models several times faster. Loading a module as exported
// compiles the code of each of its submodule classes (about 20 ms for a part
// encoder on this machine, ~0.4 s for the default graph's 17 models); the
// same module frozen - submodules inlined into one graph, weights as
// constants - loads in 3-5 ms. Freezing is done without numeric rewrites
// (no convolution / batch-norm folding), so a frozen model's outputs are
// bit-identical to the exported one's (tests/frozen_models_test.cpp).
//
//   std::shared_ptr<torch::jit::Module> m = load_model_frozen("models/parts/nose_encoder.pt", "cpu");
//
// The first load of a file freezes it (10-30 ms) and writes the copy into
// the cache folder, named by the file's SHA-256, the device and the LibTorch
// version; every later load, in any process, reads the copy. A replaced model
// file has another SHA-256, so it never meets a stale copy; a damaged copy
// is ignored and written again. The folder: $SUMI_CACHE_DIR/frozen, else
// $XDG_CACHE_HOME/sumi/frozen, else ~/.cache/sumi/frozen; it is pruned to
// kFrozenCacheBytes (oldest first) and may be deleted at any time. Without
// a writable folder models are frozen in memory on every load.
//
// SUMI_FREEZE_MODELS=0 loads models as exported (for a model whose
// attributes a plugin node reads: freezing keeps forward() and every other
// method, but folds attributes into constants). A module that cannot be
// frozen is used as exported.
//
// `inference_rewrites` (a manifest's opt-in, e.g. the face locator's): on
// the CPU the frozen module is then also run through
// torch::jit::optimize_for_inference in memory - convolutions with their
// weights prepacked for this CPU's oneDNN kernels (the locator's networks:
// 15-35 % less time per forward in a plain loop; the face.locate node 3-6 %
// faster on a quiet machine, a third under load). Outputs then differ from
// the exported model's by float rounding (~1e-7), so it is never the
// default. The rewritten module is not cached on disk (its packed weights
// are specific to this machine); a module it fails on is used frozen.
//
// Thread safety: safe to call concurrently, also from several processes
// sharing the folder (copies are written atomically).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace torch {
namespace jit {
struct Module;
}
}  // namespace torch

namespace sumi {

inline constexpr std::uint64_t kFrozenCacheBytes = std::uint64_t(2) << 30;

// Throws what torch::jit::load throws for an unloadable file; the caller
// names the file.
std::shared_ptr<torch::jit::Module> load_model_frozen(const std::string& path, const std::string& device,
                                                      bool inference_rewrites = false);

// The cache folder in use ("" when none: no HOME and no SUMI_CACHE_DIR).
std::string frozen_cache_dir();

// Deletes the oldest copies (by modification time) until `folder` holds at
// most `budget` bytes of them. Best effort: another process may prune at once.
void prune_frozen_cache(const std::string& folder, std::uint64_t budget);

// Counters for tests and --profile: copies read from the cache, models frozen.
struct FrozenCacheStats {
  std::uint64_t hits = 0, frozen = 0, unfreezable = 0, inference_rewritten = 0;
};
FrozenCacheStats frozen_cache_stats();

}  // namespace sumi
