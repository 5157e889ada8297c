#include "nodes/latent/knn.h"

#include <algorithm>
#include <mutex>
#include <numeric>

#include <Eigen/Dense>
#include <hnswlib/hnswlib.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "engine/error.h"
#include "engine/model_store.h"
#include "nodes/latent/npy.h"

namespace sumi {

struct LatentBank::Hnsw {
  std::unique_ptr<hnswlib::L2Space> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

std::shared_ptr<const LatentBank> load_bank(ModelStore& store, const std::string& path) {
  return store.resource<LatentBank>(path, "latent-bank", [&] {
    NpyArray a = read_npy(path);
    if (a.shape.size() != 2 || a.rows() < 1) throw Error(ErrorContext{path, {}, {}, {}, {}}, "a latent bank must be an N x D array");
    auto bank = std::make_shared<LatentBank>();
    bank->path = path;
    bank->rows = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        a.data.data(), a.rows(), a.cols());
    bank->norms2 = bank->rows.rowwise().squaredNorm();
    return bank;
  });
}

namespace {

Neighbours exact(const LatentBank& bank, const Eigen::VectorXf& f, int k) {
  // |r - f|^2 = |r|^2 - 2 r.f + |f|^2: one matrix-vector product.
  Eigen::VectorXf d = bank.norms2 - 2.0f * (bank.rows * f);
  d.array() += f.squaredNorm();
  std::vector<std::int64_t> order(static_cast<std::size_t>(d.size()));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](std::int64_t a, std::int64_t b) {
    return d[a] < d[b] || (d[a] == d[b] && a < b);
  });
  Neighbours n;
  for (int i = 0; i < k; ++i) {
    n.ids.push_back(order[static_cast<std::size_t>(i)]);
    n.distances.push_back(std::max(0.0f, d[order[static_cast<std::size_t>(i)]]));
  }
  return n;
}

Neighbours approximate(const LatentBank& bank, const Eigen::VectorXf& f, int k, int ef, const CancelToken* cancel) {
  std::call_once(bank.hnsw_once, [&] {
    auto h = std::make_shared<LatentBank::Hnsw>();
    const auto dim = static_cast<std::size_t>(bank.rows.cols());
    h->space = std::make_unique<hnswlib::L2Space>(dim);
    // M 16; a narrower construction search on very large banks halves the build time.
    const std::size_t ef_construction = bank.rows.rows() > 200000 ? 100 : 200;
    h->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(h->space.get(), static_cast<std::size_t>(bank.rows.rows()), 16,
                                                                 ef_construction, 7);
    // hnswlib inserts concurrently. Isolated so that this thread, while it
    // waits, never picks up another node's task that could re-enter call_once.
    tbb::this_task_arena::isolate([&] {
      tbb::parallel_for(tbb::blocked_range<Eigen::Index>(0, bank.rows.rows(), 256), [&](const tbb::blocked_range<Eigen::Index>& r) {
        if (cancel) cancel->check();  // a chunk of 256 insertions: a few ms; call_once stays unset
        for (Eigen::Index i = r.begin(); i < r.end(); ++i) h->index->addPoint(bank.rows.row(i).data(), static_cast<std::size_t>(i));
      });
    });
    h->index->setEf(1);  // the breadth comes from each query (below), not shared state
    bank.hnsw = h;
  });
  // hnswlib searches with breadth max(ef_, k): asking for max(ef, k) and
  // keeping the nearest k gives a per-query ef without mutating the index.
  auto result = bank.hnsw->index->searchKnn(f.data(), static_cast<std::size_t>(std::max(ef, k)));
  while (result.size() > static_cast<std::size_t>(k)) result.pop();
  Neighbours n;
  while (!result.empty()) {  // a max-heap: farthest first
    n.ids.push_back(static_cast<std::int64_t>(result.top().second));
    n.distances.push_back(result.top().first);
    result.pop();
  }
  std::reverse(n.ids.begin(), n.ids.end());
  std::reverse(n.distances.begin(), n.distances.end());
  return n;
}

}  // namespace

Neighbours nearest(const LatentBank& bank, const Eigen::VectorXf& f, int k, Search search, int ef,
                   const CancelToken* cancel) {
  if (f.size() != bank.rows.cols())
    throw Error(ErrorContext{bank.path, {}, {}, {}, {}}, "latent has " + std::to_string(f.size()) + " dimensions, the bank " +
                                                              std::to_string(bank.rows.cols()));
  k = std::max(1, std::min<int>(k, static_cast<int>(bank.rows.rows())));
  return search == Search::Exact ? exact(bank, f, k) : approximate(bank, f, k, std::max(1, ef), cancel);
}

Eigen::VectorXf lle_weights(const LatentBank& bank, const std::vector<std::int64_t>& ids, const Eigen::VectorXf& f,
                            double reg) {
  const auto k = static_cast<Eigen::Index>(ids.size());
  Eigen::MatrixXf diff(k, f.size());
  for (Eigen::Index i = 0; i < k; ++i) diff.row(i) = bank.rows.row(ids[static_cast<std::size_t>(i)]) - f.transpose();
  Eigen::MatrixXd gram = (diff * diff.transpose()).cast<double>();
  const double trace = gram.trace();
  gram.diagonal().array() += reg * (trace > 0 ? trace : 1.0);
  Eigen::VectorXd w = gram.ldlt().solve(Eigen::VectorXd::Ones(k));
  const double sum = w.sum();
  if (!std::isfinite(sum) || std::abs(sum) < 1e-12) return Eigen::VectorXf::Constant(k, 1.0f / static_cast<float>(k));
  return (w / sum).cast<float>();
}

}  // namespace sumi
