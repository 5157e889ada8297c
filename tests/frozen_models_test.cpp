// Frozen model copies (engine/frozen_models.h): bit-identical to the models
// as exported, written once and read back by later loads, rebuilt when
// damaged, working without a writable cache folder, switchable off, keeping
// extra methods, and pruned oldest first.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include <torch/script.h>

#include "engine/frozen_models.h"
#include "engine/model_store.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::vector<fs::path> copies(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  return out;
}

at::Tensor run(torch::jit::Module& m, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return m.forward({x}).toTensor();
}

// A shipped part encoder (convolutions, batch norms, submodules): the copy
// has no submodules left, gives bit-identical outputs, and the next load -
// from a new model store, as in a new process - reads it instead of freezing.
TEST(FrozenModels, CopyIsBitIdenticalAndReadBackByTheNextLoad) {
  TempDir tmp;
  ScopedEnv cache("SUMI_CACHE_DIR", tmp.path("cache"));
  const std::string model = source_path("models/parts/nose_encoder.pt");
  torch::jit::Module exported = torch::jit::load(model);
  exported.eval();
  ASSERT_GT(exported.named_children().size(), 0u);

  const FrozenCacheStats before = frozen_cache_stats();
  auto first = load_model_frozen(model, "cpu");
  EXPECT_EQ(frozen_cache_stats().frozen, before.frozen + 1);
  EXPECT_EQ(first->named_children().size(), 0u) << "frozen: submodules inlined";
  ASSERT_EQ(copies(tmp.path("cache/frozen")).size(), 1u);
  EXPECT_EQ(frozen_cache_dir(), tmp.path("cache/frozen"));

  ModelStore store;
  auto second = store.get(model, "cpu", {{1, 1, 64, 64}}, {1, 512});
  EXPECT_EQ(frozen_cache_stats().hits, before.hits + 1);
  EXPECT_EQ(frozen_cache_stats().frozen, before.frozen + 1);

  torch::manual_seed(3);
  for (int i = 0; i < 3; ++i) {
    const at::Tensor x = torch::rand({1, 1, 64, 64});
    const at::Tensor want = run(exported, x);
    EXPECT_TRUE(torch::equal(run(*first, x), want));
    EXPECT_TRUE(torch::equal(run(const_cast<torch::jit::Module&>(*second), x), want));
  }
}

TEST(FrozenModels, DamagedCopyIsIgnoredAndWrittenAgain) {
  TempDir tmp;
  ScopedEnv cache("SUMI_CACHE_DIR", tmp.path("cache"));
  const std::string model = source_path("models/parts/mouth_decoder.pt");
  load_model_frozen(model, "cpu");
  const auto files = copies(tmp.path("cache/frozen"));
  ASSERT_EQ(files.size(), 1u);
  const auto good_size = fs::file_size(files[0]);
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "not a TorchScript archive";

  const FrozenCacheStats before = frozen_cache_stats();
  auto m = load_model_frozen(model, "cpu");
  EXPECT_EQ(frozen_cache_stats().frozen, before.frozen + 1);
  EXPECT_EQ(fs::file_size(files[0]), good_size);
  EXPECT_TRUE(run(*m, torch::zeros({1, 512})).defined());
}

// A cache "folder" that is a file: nothing can be written, the model is still
// frozen (in memory) and works; SUMI_FREEZE_MODELS=0 loads it as exported.
TEST(FrozenModels, WorksWithoutAWritableFolderAndCanBeSwitchedOff) {
  TempDir tmp;
  write_text(tmp.path("blocked"), "a file where the cache folder would be");
  ScopedEnv cache("SUMI_CACHE_DIR", tmp.path("blocked"));
  const std::string model = source_path("models/parts/nose_decoder.pt");
  auto m = load_model_frozen(model, "cpu");
  EXPECT_EQ(m->named_children().size(), 0u);
  EXPECT_TRUE(run(*m, torch::zeros({1, 512})).defined());
  {
    ScopedEnv off("SUMI_FREEZE_MODELS", "0");
    EXPECT_GT(load_model_frozen(model, "cpu")->named_children().size(), 0u);
  }
}

// A model with a method besides forward() keeps it (a plugin node may call it).
TEST(FrozenModels, KeepsMethodsBesidesForward) {
  TempDir tmp;
  ScopedEnv cache("SUMI_CACHE_DIR", tmp.path("cache"));
  torch::jit::Module m("TwoMethods");
  m.register_parameter("w", torch::full({2}, 3.0), false);
  m.define(R"(
    def forward(self, x):
        return x * self.w

    def doubled(self, x):
        return 2 * self.forward(x)
  )");
  m.save(tmp.path("two.pt"));
  auto frozen = load_model_frozen(tmp.path("two.pt"), "cpu");
  ASSERT_TRUE(frozen->find_method("doubled"));
  torch::NoGradGuard no_grad;
  const at::Tensor out = frozen->get_method("doubled")({torch::ones({2})}).toTensor();
  EXPECT_FLOAT_EQ(out[1].item<float>(), 6.0f);
}

TEST(FrozenModels, PruningRemovesTheOldestCopiesFirst) {
  TempDir tmp;
  const auto now = fs::file_time_type::clock::now();
  for (int i = 0; i < 4; ++i) {
    const std::string f = tmp.path("c" + std::to_string(i) + ".pt");
    write_text(f, std::string(100, 'x'));
    fs::last_write_time(f, now - std::chrono::hours(4 - i));  // c0 oldest
  }
  write_text(tmp.path("notes.txt"), std::string(1000, 'x'));  // not a copy: left alone
  prune_frozen_cache(tmp.dir().string(), 250);
  EXPECT_FALSE(fs::exists(tmp.path("c0.pt")));
  EXPECT_FALSE(fs::exists(tmp.path("c1.pt")));
  EXPECT_TRUE(fs::exists(tmp.path("c2.pt")));
  EXPECT_TRUE(fs::exists(tmp.path("c3.pt")));
  EXPECT_TRUE(fs::exists(tmp.path("notes.txt")));
}

// The opt-in inference rewrites (the face locator's manifest): close to the
// exported model, counted, kept in memory only (the disk cache holds the
// plain frozen copy), and a separate module from the file's plain one.
TEST(FrozenModels, InferenceRewritesAreCloseAndNotCachedOnDisk) {
  TempDir tmp;
  ScopedEnv cache("SUMI_CACHE_DIR", tmp.path("cache"));
  const std::string model = source_path("models/locate/locator.pt");
  torch::jit::Module exported = torch::jit::load(model);
  exported.eval();
  const FrozenCacheStats before = frozen_cache_stats();
  auto rewritten = load_model_frozen(model, "cpu", /*inference_rewrites=*/true);
  EXPECT_EQ(frozen_cache_stats().inference_rewritten, before.inference_rewritten + 1);
  ASSERT_EQ(copies(tmp.path("cache/frozen")).size(), 1u) << "only the plain frozen copy is written";

  torch::manual_seed(5);
  const at::Tensor x = torch::rand({1, 1, 128, 128});
  const at::Tensor want = run(exported, x);
  const at::Tensor got = run(*rewritten, x);
  bool mkldnn = false;  // the rewrite happened: convolutions run on oneDNN's packed weights
  for (const torch::jit::Node* n : rewritten->get_method("forward").graph()->nodes())
    mkldnn = mkldnn || std::string(n->kind().toQualString()).find("mkldnn") != std::string::npos;
  EXPECT_TRUE(mkldnn);
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-5));

  ModelStore store;
  auto plain = store.get(model, "cpu", {{1, 1, 128, 128}}, {1, 23});
  auto fast = store.get(model, "cpu", {{1, 1, 128, 128}}, {1, 23}, /*inference_rewrites=*/true);
  EXPECT_NE(plain.get(), fast.get());
  EXPECT_EQ(store.get(model, "cpu", {}, {}, true).get(), fast.get()) << "loaded once";
  EXPECT_TRUE(torch::equal(run(const_cast<torch::jit::Module&>(*plain), x), want));
}

}  // namespace
}  // namespace sumi::test
