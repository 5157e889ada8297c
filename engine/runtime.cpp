#include "engine/runtime.h"

#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#ifdef SUMI_HAVE_OPENMP
#include <omp.h>
#endif

#include <ATen/Parallel.h>
#include <c10/core/Device.h>
#include <tbb/global_control.h>
#include <tbb/scalable_allocator.h>
#include <torch/cuda.h>

#include "engine/error.h"

namespace sumi {
namespace {

std::mutex g_mutex;
ThreadBudget g_budget;
bool g_configured = false;
std::unique_ptr<tbb::global_control> g_control;

// LibTorch's convolutions run on oneDNN under its OpenMP threads, but its
// matrix products (linear layers) call the system BLAS. Debian's OpenBLAS
// (the pthread build) keeps its own pool of one thread per core whose idle
// threads spin on sched_yield for a long time after each call: beside TBB's
// workers and LibTorch's threads that oversubscribed the cores (a portrait's
// generator took 50 ms instead of 33 ms after the feature decoders had used
// the BLAS). BLAS calls therefore run on the calling thread; parallelism comes
// from the budget. Looked up at run time: the BLAS behind LibTorch may be
// another one (no such symbol: nothing to do).
void keep_blas_on_the_calling_thread() {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

// glibc returns a freed block to the system when it was mmapped (over the
// mmap threshold, which glibc raises only as such blocks are freed) or when
// the free space at the top of the heap passes the trim threshold. A model
// forward allocates and frees tens of MB of activations, so both kept
// handing memory back, and the next forward faulted every page in again:
// ~2,300 page faults per StyleGAN synthesis, which took 41-49 ms instead of
// 31-33 ms. Fixed thresholds keep freed activations in the heap for the next
// run; the heap holds at most what a run's peak needed (blocks over 32 MB
// are still mapped and unmapped).
void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  });
#endif
}

ThreadBudget budget_for(int threads) {
  ThreadBudget b;
  b.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  b.tbb_threads = threads <= 0 ? b.cores : std::min(threads, b.cores);
  b.torch_threads = std::max(1, b.cores / b.tbb_threads);
  return b;
}

}  // namespace

ThreadBudget configure_threads(int threads) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const ThreadBudget b = budget_for(threads);
  g_control.reset();
  g_control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(b.tbb_threads));
  at::set_num_threads(b.torch_threads);
  keep_blas_on_the_calling_thread();
  keep_freed_memory_for_reuse();
  g_budget = b;
  g_configured = true;
  return b;
}

void set_intra_op_threads_here(int threads) {
#ifdef SUMI_HAVE_OPENMP
  // The first ATen call on a thread initialises its OpenMP setting from the
  // global one; make it happen now so that it cannot undo ours later.
  (void)at::get_num_threads();
  omp_set_num_threads(std::max(1, threads));
#else
  (void)threads;
#endif
}

void release_intra_op_threads_here() {
#ifdef SUMI_HAVE_OPENMP
  (void)omp_pause_resource_all(omp_pause_soft);
#endif
}

ThreadBudget thread_budget() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_configured ? g_budget : budget_for(0);
}

int intra_op_threads_here() {
#ifdef SUMI_HAVE_OPENMP
  return at::get_num_threads();  // initialises this thread's setting first, as above
#else
  return 1;
#endif
}

bool boost_this_lone_run(LoneNodeTimes& t) {
  const unsigned run = ++t.runs;
  if (run <= kLoneWarmRuns || t.boosted_ms < 0) return true;
  if (t.plain_ms < 0) return false;
  const bool faster = t.boosted_ms < t.plain_ms;
  return run % kLoneRecheck == 0 ? !faster : faster;
}

void record_lone_run(LoneNodeTimes& t, bool boosted, double ms) {
  if (t.runs <= kLoneWarmRuns) return;
  double& mean = boosted ? t.boosted_ms : t.plain_ms;
  mean = mean < 0 ? ms : 0.5 * (mean + ms);
}

BoostPolicy boost_policy_from_env() {
  const char* v = std::getenv("SUMI_BOOST");
  const std::string s = v ? v : "";
  if (s.empty() || s == "auto") return BoostPolicy::Auto;
  if (s == "always") return BoostPolicy::Always;
  if (s == "never") return BoostPolicy::Never;
  throw Error("SUMI_BOOST='" + s + "': expected auto, always or never");
}

int lone_model_threads(int cores, double load1, int runnable) {
  if (!(load1 >= 0)) load1 = 0;  // NaN, negative: unknown, as idle
  const int busy_recently = static_cast<int>(std::lround(std::min<double>(load1, cores)));
  const int busy_now = std::clamp(runnable - 2, 0, cores);
  return std::max(1, cores - std::max(busy_recently, busy_now));
}

int lone_model_threads_now(int cores) {
  // "0.52 0.58 0.59 3/512 12345": averages, then runnable/total entities.
  std::FILE* f = std::fopen("/proc/loadavg", "re");
  if (!f) return cores;
  double l1 = 0, l5 = 0, l15 = 0;
  int runnable = 0, total = 0;
  const int got = std::fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &runnable, &total);
  std::fclose(f);
  return got == 5 ? lone_model_threads(cores, l1, runnable) : cores;
}

namespace {
std::atomic<bool> g_optimise_models{true};
}  // namespace

void set_optimise_models(bool on) {
  // SUMI_OPTIMISE_MODELS=0/1 overrides the entry point's choice (for benchmarks).
  const char* env = std::getenv("SUMI_OPTIMISE_MODELS");
  if (env && (env[0] == '0' || env[0] == '1') && env[1] == '\0') on = env[0] == '1';
  g_optimise_models.store(on, std::memory_order_relaxed);
}
bool optimise_models() { return g_optimise_models.load(std::memory_order_relaxed); }

void release_free_memory() {
  // oneTBB 2021.8's allocator crashes cleaning buffers it has never set up
  // (a server whose sessions never ran a graph): one allocation sets it up.
  static std::once_flag tbbmalloc_ready;
  std::call_once(tbbmalloc_ready, [] { scalable_free(scalable_malloc(16)); });
  (void)scalable_allocation_command(TBBMALLOC_CLEAN_ALL_BUFFERS, nullptr);
#ifdef __GLIBC__
  (void)malloc_trim(0);
#endif
}

void check_device(const std::string& device) {
  if (device == "cpu") return;  // the common case, checked per run
  c10::Device d(c10::DeviceType::CPU);
  try {
    d = c10::Device(device);
  } catch (const std::exception&) {
    throw Error("unknown device '" + device + "' (use cpu, cuda or cuda:N)");
  }
  if (d.is_cpu()) return;
  if (d.is_cuda()) {
    if (!torch::cuda::is_available() || d.index() >= static_cast<int>(torch::cuda::device_count())) throw Error("device '" + device + "' is not available: this build of LibTorch has no CUDA or no GPU was found");
    return;
  }
  throw Error("device '" + device + "' is not supported (use cpu or cuda:N)");
}

}  // namespace sumi
