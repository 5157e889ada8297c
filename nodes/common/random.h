// Seeded random numbers for nodes whose results must be reproducible: the
// same seed gives the same numbers with every standard library. std::mt19937
// and std::seed_seq are exactly specified by the standard, the <random>
// distributions are not, so numbers are mapped from the raw bits here.
//
//   Rng rng(ctx.param_int("seed"), /*stream=*/2);   // one stream per use
//   double u = rng.uniform();                       // [0, 1)
//
// Thread safety: a plain value; use one per thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace sumi {

class Rng {
 public:
  // `stream` separates independent uses of one seed (e.g. two noise fields),
  // so that turning one use off does not change the other's numbers.
  explicit Rng(std::int64_t seed, std::uint32_t stream = 0) {
    const auto s = static_cast<std::uint64_t>(seed);
    std::seed_seq seq{static_cast<std::uint32_t>(s & 0xffffffffu), static_cast<std::uint32_t>(s >> 32), stream};
    gen_.seed(seq);
  }

  std::uint32_t bits() { return static_cast<std::uint32_t>(gen_()); }
  // Uniform in [0, 1), 24 bits of resolution.
  double uniform() { return static_cast<double>(bits() >> 8) * (1.0 / 16777216.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n); 0 when n is 0.
  std::uint32_t below(std::uint32_t n) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(bits()) * n) >> 32);
  }
  // Standard normal (Box-Muller; one value per call).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Fisher-Yates.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(static_cast<std::uint32_t>(i))]);
  }

 private:
  std::mt19937 gen_;
};

}  // namespace sumi
