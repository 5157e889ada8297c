#include "engine/tick_clock.h"

#include <chrono>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define SUMI_HAVE_TSC 1
#endif

namespace sumi {
namespace {

#ifdef SUMI_HAVE_TSC
double g_ms_per_tick = 0;
std::once_flag g_calibrated;

// ~2 ms busy wait, once per process, on the first timed node.
void calibrate() {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const std::uint64_t c0 = __rdtsc();
  while (Clock::now() - t0 < std::chrono::milliseconds(2)) {
  }
  const auto t1 = Clock::now();
  const std::uint64_t c1 = __rdtsc();
  g_ms_per_tick = std::chrono::duration<double, std::milli>(t1 - t0).count() / static_cast<double>(c1 - c0);
}
#endif

}  // namespace

std::uint64_t tick_now() {
#ifdef SUMI_HAVE_TSC
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

double ticks_to_ms(std::uint64_t ticks) {
#ifdef SUMI_HAVE_TSC
  std::call_once(g_calibrated, calibrate);
  return static_cast<double>(ticks) * g_ms_per_tick;
#else
  return static_cast<double>(std::chrono::nanoseconds(ticks).count()) / 1e6;
#endif
}

}  // namespace sumi
