// Manifold projection speed: K nearest neighbours + the locally-linear solve
// (what latent.project does), on the shipped banks and on synthetic banks of
// 20k, 100k and 1M latents, against the memory-bandwidth floor measured in the
// same run, and exact search against the HNSW index. Prints medians and ratios.
//
//   build/bench/sumi_knn_bench                       # shipped banks, N = 20k, 100k, 1M
//   build/bench/sumi_knn_bench --sizes 20000,100000  # skip the 1M bank (its index takes minutes to build)
//
// Synthetic latents: 512-d Gaussian with a power-law spectrum (variance of the
// i-th principal direction ~ i^-1.5), the shape of a trained autoencoder's
// latents, rather than isotropic noise no index can exploit. Queries are fresh
// samples from the same distribution, not bank members.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "engine/model_store.h"
#include "engine/runtime.h"
#include "nodes/latent/knn.h"
#include "nodes/latent/part_models.h"

namespace sumi {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kK = 10;
constexpr double kReg = 1e-3;
constexpr int kDim = 512;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Median wall time in ms of `reps` calls of fn.
double time_ms(int reps, const std::function<void(int)>& fn) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    fn(i);
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  return median(t);
}

volatile float g_sink = 0;  // keeps results alive

// What latent.project computes per part: neighbours, weights, projection.
void project(const LatentBank& bank, const Eigen::VectorXf& f, Search search, int ef) {
  const Neighbours nn = nearest(bank, f, kK, search, ef);
  const Eigen::VectorXf w = lle_weights(bank, nn.ids, f, kReg);
  Eigen::VectorXf p = Eigen::VectorXf::Zero(f.size());
  for (std::size_t i = 0; i < nn.ids.size(); ++i) p += w[static_cast<Eigen::Index>(i)] * bank.rows.row(nn.ids[i]).transpose();
  g_sink = g_sink + p[0];
}

struct Synthetic {
  Eigen::VectorXf scale;  // per-dimension standard deviation
  std::mt19937 rng;
  std::normal_distribution<float> gauss;
  explicit Synthetic(unsigned seed) : scale(kDim), rng(seed) {
    for (int i = 0; i < kDim; ++i) scale[i] = std::pow(static_cast<float>(i + 1), -0.75f);
  }
  Eigen::VectorXf sample() {
    Eigen::VectorXf v(kDim);
    for (int i = 0; i < kDim; ++i) v[i] = gauss(rng) * scale[i];
    return v;
  }
};

std::shared_ptr<LatentBank> synthetic_bank(std::int64_t n, unsigned seed) {
  auto bank = std::make_shared<LatentBank>();
  bank->path = "synthetic-" + std::to_string(n);
  bank->rows.resize(n, kDim);
  Synthetic s(seed);
  for (std::int64_t r = 0; r < n; ++r) bank->rows.row(r) = s.sample().transpose();
  bank->norms2 = bank->rows.rowwise().squaredNorm();
  return bank;
}

// One pass over the bank's bytes, the least any exact search must read.
double floor_ms(const LatentBank& bank, int reps) {
  return time_ms(reps, [&](int) { g_sink = g_sink + bank.rows.sum(); });
}

double recall_at_k(const LatentBank& bank, const std::vector<Eigen::VectorXf>& queries, int ef) {
  int found = 0, wanted = 0;
  for (const auto& q : queries) {
    const Neighbours e = nearest(bank, q, kK, Search::Exact);
    const Neighbours a = nearest(bank, q, kK, Search::Hnsw, ef);
    for (std::int64_t id : e.ids) found += std::count(a.ids.begin(), a.ids.end(), id) ? 1 : 0;
    wanted += kK;
  }
  return static_cast<double>(found) / wanted;
}

void shipped_banks(ModelStore& store) {
  const std::string manifest = default_parts_manifest();
  if (!std::filesystem::exists(manifest)) {
    std::printf("shipped banks: %s not found, skipped\n\n", manifest.c_str());
    return;
  }
  const auto models = load_part_models(store, manifest);
  std::vector<std::shared_ptr<const LatentBank>> banks;
  std::int64_t rows = 0;
  for (const auto& [name, part] : models->parts) {
    banks.push_back(load_bank(store, part.bank));
    rows += banks.back()->rows.rows();
  }
  // Queries: bank rows with noise, like a drawn part near the manifold.
  std::mt19937 rng(9);
  std::normal_distribution<float> gauss(0.0f, 0.3f);
  std::vector<std::vector<Eigen::VectorXf>> queries(banks.size());
  for (std::size_t b = 0; b < banks.size(); ++b)
    for (int q = 0; q < 64; ++q) {
      Eigen::VectorXf f = banks[b]->rows.row(static_cast<Eigen::Index>(rng() % banks[b]->rows.rows())).transpose();
      for (Eigen::Index i = 0; i < f.size(); ++i) f[i] += gauss(rng);
      queries[b].push_back(f);
    }
  const double all = time_ms(101, [&](int i) {
    for (std::size_t b = 0; b < banks.size(); ++b) project(*banks[b], queries[b][static_cast<std::size_t>(i) % 64], Search::Exact, 0);
  });
  std::printf("shipped banks (%zu parts, %lld latents of %lld-d in all): KNN + solve for all parts, exact: %.3f ms median\n\n",
              banks.size(), static_cast<long long>(rows), static_cast<long long>(banks.front()->rows.cols()), all);
}

void synthetic(std::int64_t n) {
  std::printf("N = %lld synthetic %d-d latents (%.0f MB float32)\n", static_cast<long long>(n), kDim, n * kDim * 4 / 1e6);
  auto bank = synthetic_bank(n, 1);
  Synthetic qs(2);
  std::vector<Eigen::VectorXf> queries;
  for (int q = 0; q < 50; ++q) queries.push_back(qs.sample());
  const int reps = n >= 1000000 ? 15 : 51;
  const double floor = floor_ms(*bank, reps);
  const double exact = time_ms(reps, [&](int i) { project(*bank, queries[static_cast<std::size_t>(i) % queries.size()], Search::Exact, 0); });
  std::printf("  memory floor (one pass over the bank)  %9.3f ms  (%.1f GB/s)\n", floor, n * kDim * 4 / floor / 1e6);
  std::printf("  exact KNN + solve                      %9.3f ms  = %.2fx the floor\n", exact, exact / floor);
  const auto t0 = Clock::now();
  nearest(*bank, queries[0], kK, Search::Hnsw);
  std::printf("  HNSW index build (M 16, ef_construction %d, %d threads) %.1f s\n", n > 200000 ? 100 : 200, thread_budget().tbb_threads,
              std::chrono::duration<double>(Clock::now() - t0).count());
  if (n <= 20000) {
    // Five parts, each with its own bank of this size.
    std::vector<std::shared_ptr<LatentBank>> five{bank};
    for (unsigned s = 3; s < 7; ++s) five.push_back(synthetic_bank(n, s));
    const double all = time_ms(reps, [&](int i) {
      for (auto& b : five) project(*b, queries[static_cast<std::size_t>(i) % queries.size()], Search::Exact, 0);
    });
    for (auto& b : five) nearest(*b, queries[0], kK, Search::Hnsw);  // build the indexes
    const double all_hnsw = time_ms(reps, [&](int i) {
      for (auto& b : five) project(*b, queries[static_cast<std::size_t>(i) % queries.size()], Search::Hnsw, kDefaultHnswEf);
    });
    std::printf("  five parts, exact                      %9.3f ms\n", all);
    std::printf("  five parts, HNSW (ef %d)               %9.3f ms\n", kDefaultHnswEf, all_hnsw);
  }
  for (int ef : {32, 64, 128, 256}) {
    const double recall = recall_at_k(*bank, queries, ef);
    const double t = time_ms(reps * 4, [&](int i) { project(*bank, queries[static_cast<std::size_t>(i) % queries.size()], Search::Hnsw, ef); });
    std::printf("  HNSW ef %3d: KNN + solve %9.3f ms = %6.1fx faster than exact, recall@10 %.3f\n", ef, t, exact / t, recall);
  }
  std::printf("\n");
}

std::vector<std::int64_t> parse_sizes(int argc, char** argv) {
  std::vector<std::int64_t> sizes{20000, 100000, 1000000};
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--sizes") {
      sizes.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string item; std::getline(ss, item, ',');) sizes.push_back(std::stoll(item));
    }
  return sizes;
}

}  // namespace
}  // namespace sumi

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("usage: sumi_knn_bench [--sizes 20000,100000,1000000]\n");
      return 0;
    }
  const auto budget = sumi::configure_threads(0);
  std::printf("KNN (k %d) + locally-linear solve, medians; searches run on one thread, index builds on %d\n\n", sumi::kK,
              budget.tbb_threads);
  sumi::ModelStore store;
  try {
    sumi::shipped_banks(store);
    for (std::int64_t n : sumi::parse_sizes(argc, argv)) sumi::synthetic(n);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sumi_knn_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
