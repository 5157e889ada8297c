// A cheap monotonic clock for per-node timing. Reading the TSC costs a few
// nanoseconds where clock_gettime costs ~20-40 ns in a VM, which mattered at
// the engine's per-node overhead budget (a few hundred ns). Ticks are
// converted to milliseconds with a rate calibrated once against steady_clock.
//
//   auto t0 = tick_now(); ...; double ms = ticks_to_ms(tick_now() - t0);
//
// Thread safety: safe from any thread.
#pragma once

#include <cstdint>

namespace sumi {

std::uint64_t tick_now();
double ticks_to_ms(std::uint64_t ticks);

}  // namespace sumi
