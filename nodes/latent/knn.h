// Nearest neighbours in a latent bank and DeepFaceDrawing's locally-linear
// reconstruction weights.
//
//   auto bank = load_bank(store, "left_eye_bank.npy");          // N x D, cached
//   auto nn = nearest(*bank, f, 10, Search::Exact);              // sorted by distance
//   auto w = lle_weights(*bank, nn.ids, f, 1e-3);                // sum to 1
//
// Thread safety: banks and indexes are immutable once built; queries are
// safe concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "engine/progress.h"

namespace sumi {

class ModelStore;

struct LatentBank {
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows;  // N x D
  Eigen::VectorXf norms2;                                                      // |row|^2
  std::string path;
  struct Hnsw;  // built on first approximate query
  mutable std::shared_ptr<Hnsw> hnsw;
  mutable std::once_flag hnsw_once;
};

enum class Search { Exact, Hnsw };

struct Neighbours {
  std::vector<std::int64_t> ids;  // bank rows, nearest first
  std::vector<float> distances;   // squared L2, ascending
};

// Loads a .npy bank (N x D, float16 or float32) once per session.
std::shared_ptr<const LatentBank> load_bank(ModelStore& store, const std::string& path);

// The k nearest rows to f (k is clamped to the bank size), sorted by distance.
// `ef` is the HNSW search breadth (ignored by exact search): higher finds more
// of the true neighbours, more slowly. The index is built (in parallel) on the
// first approximate query; `cancel` (optional) stops that build within
// milliseconds (Cancelled; the next query starts it again).
inline constexpr int kDefaultHnswEf = 128;
Neighbours nearest(const LatentBank& bank, const Eigen::VectorXf& f, int k, Search search, int ef = kDefaultHnswEf,
                   const CancelToken* cancel = nullptr);

// Weights w (sum 1) minimising |f - sum w_i bank[ids_i]|^2, regularised by
// reg * trace(G) on the local Gram matrix G so the solve stays well posed.
Eigen::VectorXf lle_weights(const LatentBank& bank, const std::vector<std::int64_t>& ids, const Eigen::VectorXf& f,
                            double reg);

}  // namespace sumi
