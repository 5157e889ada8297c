// The model store: loads once per (file, device), shares, evicts, reloads a
// changed file, and fails clearly on missing, corrupt or wrong-interface files.
// Test models are made here with TorchScript's C++ front end.
#include <thread>

#include <torch/script.h>

#include "engine/file_fingerprint.h"
#include "engine/model_store.h"
#include "engine/session.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

// A TorchScript module computing x * factor, saved to `path`.
void save_scale_model(const std::string& path, double factor) {
  torch::jit::Module m("Scale");
  m.register_attribute("factor", c10::FloatType::get(), factor);
  m.define(R"(
    def forward(self, x):
        return x * self.factor
  )");
  m.save(path);
}

TEST(ModelStore, LoadsOnceAndShares) {
  TempDir tmp;
  save_scale_model(tmp.path("scale.pt"), 2.0);
  ModelStore store;
  auto a = store.get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 4});
  auto b = store.get(tmp.path("scale.pt"), "cpu");
  EXPECT_EQ(a.get(), b.get());
  auto out = const_cast<torch::jit::Module&>(*a).forward({torch::ones({1, 4})}).toTensor();
  EXPECT_FLOAT_EQ(out[0][0].item<float>(), 2.0f);
  auto loaded = store.loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].uses, 2u);
  store.evict(tmp.path("scale.pt"));
  EXPECT_TRUE(store.loaded().empty());
}

// The editor gives every session one store: a model one session loaded is
// the same module in the others, not another copy.
TEST(ModelStore, SessionsCanShareOneStore) {
  TempDir tmp;
  save_scale_model(tmp.path("scale.pt"), 2.0);
  Registry reg;
  SessionOptions shared;
  shared.models = std::make_shared<ModelStore>();
  Session a(reg, shared), b(reg, shared), own(reg);
  EXPECT_EQ(&a.models(), shared.models.get());
  EXPECT_EQ(&b.models(), shared.models.get());
  EXPECT_NE(&own.models(), shared.models.get());
  auto from_a = a.models().get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 4});
  auto from_b = b.models().get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 4});
  EXPECT_EQ(from_a.get(), from_b.get());
  ASSERT_EQ(shared.models->loaded().size(), 1u);
  EXPECT_EQ(shared.models->loaded()[0].uses, 2u);
  EXPECT_TRUE(own.models().loaded().empty());
}

TEST(ModelStore, ConcurrentGetsLoadOnce) {
  TempDir tmp;
  save_scale_model(tmp.path("scale.pt"), 3.0);
  ModelStore store;
  std::vector<ModelStore::ModulePtr> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { got[static_cast<std::size_t>(i)] = store.get(tmp.path("scale.pt"), "cpu"); });
  for (auto& t : threads) t.join();
  for (const auto& m : got) EXPECT_EQ(m.get(), got[0].get());
}

TEST(ModelStore, ReloadsAChangedFile) {
  TempDir tmp;
  save_scale_model(tmp.path("scale.pt"), 2.0);
  ModelStore store;
  auto a = store.get(tmp.path("scale.pt"), "cpu");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  save_scale_model(tmp.path("scale.pt"), 5.0);
  auto b = store.get(tmp.path("scale.pt"), "cpu");
  EXPECT_NE(a.get(), b.get());
  auto out = const_cast<torch::jit::Module&>(*b).forward({torch::ones({1})}).toTensor();
  EXPECT_FLOAT_EQ(out[0].item<float>(), 5.0f);
}

TEST(ModelStore, ClearErrorsForBadFiles) {
  TempDir tmp;
  ModelStore store;
  EXPECT_SUMI_ERROR(store.get(tmp.path("missing.pt"), "cpu"), "missing.pt", "model file not found");
  write_text(tmp.path("corrupt.pt"), "definitely not a zip archive");
  EXPECT_SUMI_ERROR(store.get(tmp.path("corrupt.pt"), "cpu"), "corrupt.pt", "not a loadable TorchScript model");
  save_scale_model(tmp.path("scale.pt"), 2.0);
  EXPECT_SUMI_ERROR(store.get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 8}), "scale.pt", "wrong interface",
                    "returns shape [1, 4], expected [1, 8]");
  // A failed load is not remembered: a fixed file loads next time.
  write_text(tmp.path("later.pt"), "junk");
  EXPECT_THROW(store.get(tmp.path("later.pt"), "cpu"), Error);
  save_scale_model(tmp.path("later.pt"), 1.0);
  EXPECT_NE(store.get(tmp.path("later.pt"), "cpu"), nullptr);
}

TEST(ModelStore, EachInterfaceIsCheckedEvenWhenTheModelIsLoaded) {
  // A decoder that fits one part's slot, then tried in a slot with other shapes.
  TempDir tmp;
  save_scale_model(tmp.path("scale.pt"), 2.0);
  ModelStore store;
  EXPECT_NE(store.get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 4}), nullptr);
  EXPECT_SUMI_ERROR(store.get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 1, 4, 4}), "scale.pt", "wrong interface",
                    "returns shape [1, 4], expected [1, 1, 4, 4]");
  EXPECT_NE(store.get(tmp.path("scale.pt"), "cpu", {{1, 4}}, {1, 4}), nullptr);  // still fine where it fits
  EXPECT_EQ(store.loaded().size(), 1u);
}

}  // namespace
}  // namespace sumi::test

namespace sumi::test {
namespace {

TEST(FileFingerprints, AManifestCoversTheFilesItNames) {
  TempDir tmp;
  write_text(tmp.path("w.pt"), "weights-1");
  write_text(tmp.path("m.json"), R"({"format": "sumi.models", "parts": {"a": {"encoder": "w.pt", "window": [1, 2, 3]}}})");
  FileFingerprints fps;
  const std::uint64_t before = fps.get(tmp.path("m.json"));
  write_text(tmp.path("w.pt"), "weights-1");  // rewritten, same content: same fingerprint
  EXPECT_EQ(fps.get(tmp.path("m.json")), before);
  write_text(tmp.path("w.pt"), "other weights");  // replaced behind the unchanged manifest
  EXPECT_NE(fps.get(tmp.path("m.json")), before);
  // JSON that is not a Sumi manifest is only its own content.
  write_text(tmp.path("plain.json"), R"({"encoder": "w.pt"})");
  const std::uint64_t plain = fps.get(tmp.path("plain.json"));
  write_text(tmp.path("w.pt"), "third weights, longer");
  EXPECT_EQ(fps.get(tmp.path("plain.json")), plain);
}

}  // namespace
}  // namespace sumi::test
