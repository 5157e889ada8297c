#include "engine/frozen_models.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>
#include <system_error>
#include <vector>

#include <torch/script.h>
#include <torch/version.h>

#include "engine/atomic_file.h"
#include "engine/file_digest.h"

namespace sumi {
namespace {

namespace fs = std::filesystem;

std::atomic<std::uint64_t> hits{0}, frozen_count{0}, unfreezable{0}, rewritten{0};

bool freezing_enabled() {
  const char* v = std::getenv("SUMI_FREEZE_MODELS");
  return !(v && std::string(v) == "0");
}

// "cuda:0" -> "cuda_0": a file-name-safe device.
std::string device_tag(const std::string& device) {
  std::string out;
  for (char c : device) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

// forward() and every other method survive freezing; attributes become constants.
torch::jit::Module freeze_keeping_methods(const torch::jit::Module& module) {
  std::vector<std::string> keep;
  for (const auto& m : module.get_methods())
    if (m.name() != "forward") keep.push_back(m.name());
  return torch::jit::freeze(module, keep, /*optimize_numerics=*/false);  // no rewrites: bit-identical outputs
}

// The frozen module `m` optimised for inference on the CPU, in memory; `m`
// itself when the device is not the CPU or the rewrite fails.
std::shared_ptr<torch::jit::Module> for_inference(std::shared_ptr<torch::jit::Module> m, const c10::Device& dev) {
  if (!dev.is_cpu()) return m;
  try {
    auto out = std::make_shared<torch::jit::Module>(torch::jit::optimize_for_inference(*m));
    ++rewritten;
    return out;
  } catch (const std::exception&) {
    return m;
  }
}

}  // namespace

std::string frozen_cache_dir() {
  if (const char* d = std::getenv("SUMI_CACHE_DIR"); d && *d) return (fs::path(d) / "frozen").string();
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return (fs::path(d) / "sumi" / "frozen").string();
  if (const char* d = std::getenv("HOME"); d && *d) return (fs::path(d) / ".cache" / "sumi" / "frozen").string();
  return "";
}

void prune_frozen_cache(const std::string& folder, std::uint64_t budget) {
  const fs::path dir(folder);
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::uint64_t total = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".pt") continue;
    const auto size = it->file_size(ec);
    if (ec) continue;
    total += size;
    files.emplace_back(it->last_write_time(ec), it->path());
  }
  if (total <= budget) return;
  std::sort(files.begin(), files.end());
  for (const auto& [time, path] : files) {
    if (total <= budget) break;
    const auto size = fs::file_size(path, ec);
    if (!ec && fs::remove(path, ec)) total -= size;
  }
}

FrozenCacheStats frozen_cache_stats() {
  return {hits.load(), frozen_count.load(), unfreezable.load(), rewritten.load()};
}

namespace {

// The frozen module of `path`: its cached copy, or frozen now and cached.
std::shared_ptr<torch::jit::Module> load_frozen(const std::string& path, const c10::Device& dev,
                                                const std::string& device) {
  const std::string dir = frozen_cache_dir();
  auto copy_of = [&](const std::string& sha256) {
    return fs::path(dir) / (sha256 + "-" + device_tag(device) + "-torch" + TORCH_VERSION + ".pt");
  };
  if (!dir.empty()) {
    const fs::path copy = copy_of(sha256_file(path));
    std::error_code ec;
    if (fs::is_regular_file(copy, ec)) {
      try {
        auto m = std::make_shared<torch::jit::Module>(torch::jit::load(copy.string(), dev));
        ++hits;
        fs::last_write_time(copy, fs::file_time_type::clock::now(), ec);  // recently used: pruned last
        return m;
      } catch (const std::exception&) {
        fs::remove(copy, ec);  // damaged or from an incompatible build: made again below
      }
    }
  }

  // The bytes are read once, so the copy is filed under the digest of exactly
  // what was frozen, even if the file is replaced meanwhile.
  const std::string bytes = read_file(path, std::numeric_limits<std::size_t>::max());
  std::istringstream in(bytes);
  torch::jit::Module module = torch::jit::load(in, dev);
  module.eval();
  torch::jit::Module frozen;
  try {
    frozen = freeze_keeping_methods(module);
  } catch (const std::exception&) {
    ++unfreezable;  // e.g. a module that changes its own attributes in forward()
    return std::make_shared<torch::jit::Module>(std::move(module));
  }
  ++frozen_count;
  if (!dir.empty()) {
    try {
      const fs::path copy = copy_of(sha256_bytes(bytes.data(), bytes.size()));
      std::error_code ec;
      fs::create_directories(copy.parent_path(), ec);
      std::ostringstream out;
      frozen.save(out);
      write_file_atomic(copy.string(), out.str());
      prune_frozen_cache(copy.parent_path().string(), kFrozenCacheBytes);
    } catch (const std::exception&) {
      // A read-only or full cache folder: this process keeps its in-memory copy.
    }
  }
  return std::make_shared<torch::jit::Module>(std::move(frozen));
}

}  // namespace

std::shared_ptr<torch::jit::Module> load_model_frozen(const std::string& path, const std::string& device,
                                                      bool inference_rewrites) {
  const c10::Device dev(device);
  if (!freezing_enabled()) return std::make_shared<torch::jit::Module>(torch::jit::load(path, dev));
  auto m = load_frozen(path, dev, device);
  return inference_rewrites ? for_inference(std::move(m), dev) : m;
}

}  // namespace sumi
