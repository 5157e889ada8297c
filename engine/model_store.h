// The model store: every TorchScript module a session uses, loaded once per
// (file, device), shared by all nodes, evictable.
//
//   auto m = store.get("models/eye_enc.pt", "cpu", {{1, 1, 64, 64}}, {1, 512});
//   // m->forward(...) in a node (include <torch/script.h> there)
//
// A file changed on disk since it was loaded is loaded again.
// get() fails with a sumi::Error naming the file when it is missing, not a
// TorchScript archive, or does not fit the expected interface (checked once
// per interface, by running forward on zeros of the expected input shapes: a
// file used in two places with different shapes is checked for each).
//
// A file whose manifest records its SHA-256 (expect_digest) is checked against
// it whenever it is loaded: a changed or damaged file fails with an Error
// naming the file and the manifest instead of running unnoticed.
//
// Thread safety: all members are safe to call concurrently; concurrent get()s
// of the same model load it once.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace torch {
namespace jit {
struct Module;
}
}  // namespace torch

namespace sumi {

struct ModelInfo {
  std::string path;
  std::string device;
  std::uint64_t uses = 0;
};

class ModelStore {
 public:
  using ModulePtr = std::shared_ptr<const torch::jit::Module>;

  // `inputs`: shapes of the forward() arguments to check with (empty = no
  // check); `output`: expected output shape, -1 for any size in that dimension.
  // `inference_rewrites`: load_model_frozen's opt-in (a separate copy in
  // memory from the same file's plain one).
  ModulePtr get(const std::string& path, const std::string& device,
                const std::vector<std::vector<std::int64_t>>& inputs = {},
                const std::vector<std::int64_t>& output = {}, bool inference_rewrites = false);
  // Any other resource read from a file (a latent bank, a search index),
  // loaded once per (file, tag) by `load` and shared; reloaded when the file
  // changes. `tag` tells apart different things made from one file.
  template <typename T, typename Load>
  std::shared_ptr<const T> resource(const std::string& path, const std::string& tag, Load&& load) {
    auto p = resource_impl(path, tag, [&]() -> std::shared_ptr<const void> { return load(); });
    return std::static_pointer_cast<const T>(p);
  }

  // The SHA-256 (64 hex digits) `manifest` records for `path`: checked when
  // get() or resource() loads that file (hashing is cached by file stamp).
  void expect_digest(const std::string& path, const std::string& sha256, const std::string& manifest);

  // Milliseconds the calling thread has spent in get() and resource() loading
  // files, checking them, or waiting for another thread's load of them, since
  // the thread started (calls served from memory add nothing). A session
  // reads it around each node's compute: NodeRun::load_ms, `--profile`.
  static double thread_load_ms();

  void evict(const std::string& path);  // all devices and resources
  void clear();
  std::vector<ModelInfo> loaded() const;

 private:
  std::shared_ptr<const void> resource_impl(const std::string& path, const std::string& tag,
                                            const std::function<std::shared_ptr<const void>()>& load);
  struct Resource {
    std::shared_ptr<const void> value;
    std::int64_t stamp = 0;
  };
  std::map<std::pair<std::string, std::string>, Resource> resources_;
  using Interface = std::pair<std::vector<std::vector<std::int64_t>>, std::vector<std::int64_t>>;  // inputs -> output
  struct Slot {
    std::shared_future<ModulePtr> module;
    std::uint64_t uses = 0;
    std::int64_t stamp = 0;  // file size and mtime: a changed file is reloaded
    std::set<Interface> checked;  // interfaces forward() was verified against
  };
  void check_digest(const std::string& path) const;
  struct Digest {
    std::string sha256, manifest;
  };
  std::map<std::string, Digest> digests_;  // by canonical path
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, bool>, Slot> slots_;  // (file, device, inference_rewrites)
};

}  // namespace sumi
