#include "engine/model_store.h"

#include <chrono>
#include <filesystem>
#include <sstream>

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/file_digest.h"
#include "engine/frozen_models.h"
#include "engine/runtime.h"

namespace sumi {
namespace {

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string shape_str(c10::IntArrayRef shape) {
  std::ostringstream os;
  os << shape;
  return os.str();
}

ModelStore::ModulePtr load(const std::string& path, const std::string& device, bool inference_rewrites) {
  ErrorContext ctx;
  ctx.file = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(ctx, "model file not found");
  check_regular_file(path);  // a folder, device or FIFO: named as such
  std::shared_ptr<torch::jit::Module> module;
  try {
    module = load_model_frozen(path, device, inference_rewrites);
  } catch (const std::exception& e) {
    throw Error(ctx, "not a loadable TorchScript model: " + first_line(e.what()));
  }
  module->eval();
  if (!module->find_method("forward")) throw Error(ctx, "the model has no forward() method");
  return module;
}

// Runs forward() once on zeros of the expected input shapes and checks the output's shape.
void check_interface(const torch::jit::Module& module, const std::string& path, const std::string& device,
                     const std::vector<std::vector<std::int64_t>>& inputs, const std::vector<std::int64_t>& output) {
  ErrorContext ctx;
  ctx.file = path;
  torch::NoGradGuard no_grad;
  const torch::jit::GraphOptimizerEnabledGuard optimiser(optimise_models());  // as the node's calls will run
  std::vector<torch::jit::IValue> args;
  for (const auto& shape : inputs) args.emplace_back(torch::zeros(shape, torch::TensorOptions().device(c10::Device(device))));
  torch::jit::IValue out;
  try {
    out = const_cast<torch::jit::Module&>(module).forward(args);
  } catch (const std::exception& e) {
    throw Error(ctx, "wrong interface: forward() fails on the expected input shape " + shape_str(inputs.front()) + ": " +
                         first_line(e.what()));
  }
  if (output.empty()) return;
  if (!out.isTensor()) throw Error(ctx, "wrong interface: forward() must return a tensor");
  auto sizes = out.toTensor().sizes();
  bool ok = sizes.size() == output.size();
  for (std::size_t i = 0; ok && i < output.size(); ++i) ok = output[i] < 0 || output[i] == sizes[i];
  if (!ok)
    throw Error(ctx, "wrong interface: forward() returns shape " + shape_str(sizes) + ", expected " + shape_str(output) +
                         " (-1 = any)");
}

// The size and modification time of a file: a changed file is loaded again.
// Mixed in unsigned arithmetic (wraps, never overflows); a folder or device
// has no size and counts as 0.
std::int64_t file_stamp(const std::string& path) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(path, ec);
  if (ec) return 0;
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) size = 0;
  const std::uint64_t mixed = static_cast<std::uint64_t>(t.time_since_epoch().count()) ^
                              (static_cast<std::uint64_t>(size) * 0x9E3779B97F4A7C15ull);
  return static_cast<std::int64_t>(mixed);
}

}  // namespace

namespace {

thread_local double t_load_ms = 0;
thread_local int t_load_depth = 0;  // a load inside a load (a resource reading a model) is counted once

// Adds the time from construction to destruction to t_load_ms when `counts`
// is set by then (a load, a wait for one, a first interface check).
struct LoadTimer {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  bool counts = false;
  LoadTimer() { ++t_load_depth; }
  ~LoadTimer() {
    if (--t_load_depth == 0 && counts)
      t_load_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
};

}  // namespace

double ModelStore::thread_load_ms() { return t_load_ms; }

ModelStore::ModulePtr ModelStore::get(const std::string& path, const std::string& device,
                                      const std::vector<std::vector<std::int64_t>>& inputs,
                                      const std::vector<std::int64_t>& output, bool inference_rewrites) {
  LoadTimer timer;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) canonical = path;
  auto key = std::make_tuple(canonical, device, inference_rewrites);
  const std::int64_t stamp = file_stamp(path);
  std::promise<ModulePtr> promise;
  std::shared_future<ModulePtr> future;
  bool loader = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end() || it->second.stamp != stamp) {
      future = promise.get_future().share();
      slots_[key] = Slot{future, 1, stamp, {}};
      loader = true;
    } else {
      ++it->second.uses;
      future = it->second.module;
    }
  }
  timer.counts = loader || future.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  if (loader) {
    try {
      check_digest(path);
      promise.set_value(load(path, device, inference_rewrites));
    } catch (...) {
      promise.set_exception(std::current_exception());
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);  // a failed load is retried next time (the file may be fixed)
    }
  }
  ModulePtr module = future.get();
  // One file may serve several interfaces (a decoder tried in another part's
  // slot): each expected interface is checked once per loaded module.
  if (inputs.empty()) return module;
  const Interface signature{inputs, output};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(key);
    if (it != slots_.end() && it->second.checked.count(signature)) return module;
  }
  timer.counts = true;
  check_interface(*module, path, device, inputs, output);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(key);
  if (it != slots_.end() && it->second.stamp == stamp) it->second.checked.insert(signature);
  return module;
}

std::shared_ptr<const void> ModelStore::resource_impl(const std::string& path, const std::string& tag,
                                                      const std::function<std::shared_ptr<const void>()>& load) {
  const std::int64_t stamp = file_stamp(path);
  auto key = std::make_pair(path, tag);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = resources_.find(key);
    if (it != resources_.end() && it->second.stamp == stamp) return it->second.value;
  }
  // Loaded outside the lock; two threads may both load the first time, and
  // one result wins. Loads are idempotent.
  LoadTimer timer;
  timer.counts = true;
  check_digest(path);
  std::shared_ptr<const void> value = load();
  std::lock_guard<std::mutex> lock(mutex_);
  resources_[key] = {value, stamp};
  return value;
}

namespace {
std::string canonical_path(const std::string& path) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(path, ec).string();
  return ec ? path : c;
}
}  // namespace

void ModelStore::expect_digest(const std::string& path, const std::string& sha256, const std::string& manifest) {
  std::lock_guard<std::mutex> lock(mutex_);
  digests_[canonical_path(path)] = {sha256, manifest};
}

void ModelStore::check_digest(const std::string& path) const {
  Digest want;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (digests_.empty()) return;
    auto it = digests_.find(canonical_path(path));
    if (it == digests_.end()) return;
    want = it->second;
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;  // the loader reports the missing file
  const std::string got = sha256_file(path);
  if (got != want.sha256)
    throw Error(ErrorContext{path, {}, {}, {}, {}},
                "the file's SHA-256 (" + got.substr(0, 12) + "...) differs from the one its manifest " + want.manifest +
                    " records (" + want.sha256.substr(0, 12) + "...): the file was changed or damaged after export; "
                    "re-export the model, or restore the file");
}

void ModelStore::evict(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec).string();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = slots_.begin(); it != slots_.end();)
    it = (std::get<0>(it->first) == canonical || std::get<0>(it->first) == path) ? slots_.erase(it) : std::next(it);
  for (auto it = resources_.begin(); it != resources_.end();)
    it = (it->first.first == canonical || it->first.first == path) ? resources_.erase(it) : std::next(it);
}

void ModelStore::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.clear();
  resources_.clear();
}

std::vector<ModelInfo> ModelStore::loaded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ModelInfo> out;
  for (const auto& [key, slot] : slots_) out.push_back({std::get<0>(key), std::get<1>(key), slot.uses});
  return out;
}

}  // namespace sumi
