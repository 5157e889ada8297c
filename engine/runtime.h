// Process-wide thread budget shared by oneTBB and LibTorch.
//
//   ThreadBudget b = configure_threads(0);  // at start-up: 0 = all cores
//
// configure_threads() is the one explicit call that changes process-wide
// settings (TBB's global limit, LibTorch's default threads, OpenBLAS, glibc
// malloc thresholds); the CLI, the editor server and `sumi.batch` / Dask
// workers make it at start-up. Creating a Session or running a graph changes
// none of them: a run sets the LibTorch threads of the threads it computes
// on per thread and gives the calling thread its own setting back, so a
// Python process's own torch code runs as it would without Sumi.
//
// TBB workers x LibTorch intra-op threads never exceed the cores: with N TBB
// threads, LibTorch gets max(1, cores / N) threads. Independent branches run
// as parallel TBB tasks with 1 torch thread each (measured faster here than
// one model at a time with 2 torch threads); a run limited to 1 TBB thread
// lets LibTorch use every core. OpenBLAS, when it is the BLAS behind
// LibTorch, is kept to the calling thread (its own thread pool would
// oversubscribe the cores). With glibc, the first call also fixes malloc's
// mmap (32 MB) and trim (256 MB) thresholds for the whole process, so that a
// model's freed activations stay in the heap for the next run instead of
// being returned to the system and faulted in again.
//
// Thread safety: call configure_threads() at start-up or between runs, never
// while a run is in progress. thread_budget() is safe from any thread.
#pragma once

#include <string>

namespace sumi {

struct ThreadBudget {
  int cores = 1;          // hardware threads seen
  int tbb_threads = 1;    // TBB max_allowed_parallelism
  int torch_threads = 1;  // LibTorch intra-op threads
};

// `threads` <= 0 means all cores; larger than the core count is clamped.
ThreadBudget configure_threads(int threads);

// Sets LibTorch's intra-op threads for parallel work started by the calling
// thread only (OpenMP's per-thread setting; under a microsecond, where
// at::set_num_threads rebuilds thread pools and costs milliseconds). The
// executor gives a model node running alone every core this way and restores
// the budget afterwards. A no-op where LibTorch's backend is not OpenMP.
void set_intra_op_threads_here(int threads);
// Ends the OpenMP helper threads that parallel work started by the calling
// thread created (they are made again, in microseconds, when next needed).
// The executor calls it after a boosted node: libgomp counts every thread's
// helpers together, and once they outnumber the cores its idle helpers stop
// spinning between parallel regions and sleep at once, so each of a model's
// hundreds of small regions then pays a futex wake-up (a one-stroke re-run's
// generator took 42 ms instead of 33 ms when two TBB threads had each kept a
// helper). A no-op inside a parallel region or without OpenMP.
void release_intra_op_threads_here();
// The current budget: the configured one, else what configure_threads(0)
// would give, without applying it.
ThreadBudget thread_budget();

// The intra-op threads LibTorch uses for parallel work started by the calling
// thread (OpenMP's per-thread setting; 1 without OpenMP).
int intra_op_threads_here();

// Whether the executor gives a model node running alone every core's LibTorch
// threads (SessionOptions::boost; the SUMI_BOOST environment variable sets the
// default: auto, always or never).
//  - always: whatever the machine's load (a portrait's last generator 1.5x
//    faster on a quiet machine);
//  - never: each node keeps the budget's share (one thread on 2 cores);
//  - auto (default): boost only while the other processes leave cores idle.
//    With libgomp's default spin-waiting, two LibTorch threads on a machine
//    whose cores are busy with other work ran a lone model node 4-12x slower
//    than one thread (issue 22): the helper spins on a core the node's own
//    thread needs, and OMP_WAIT_POLICY is read once, when libgomp loads.
// Under always and auto alike, only nodes that run faster boosted are boosted
// (timed per node, below).
enum class BoostPolicy { Auto, Always, Never };
// SUMI_BOOST's value (unset or empty: auto); throws sumi::Error naming the
// variable on any other value.
BoostPolicy boost_policy_from_env();
// The threads a lone model node gets under `auto`: `cores` while the machine
// is otherwise idle, fewer as other work takes cores, never below 1.
// load1: the 1-minute load average; runnable: the runnable threads right now,
// this one included (both from /proc/loadavg). One of Sumi's own threads may
// still be spinning in TBB's scheduler, so one runnable thread beside this
// one counts as idle.
int lone_model_threads(int cores, double load1, int runnable);
// lone_model_threads() from /proc/loadavg (cores when it cannot be read).
int lone_model_threads_now(int cores);

// A lone model node is boosted only where that pays for it: a
// small network loses more to splitting each of its many small operations
// across threads than it gains (measured, deepfacedrawing after a stroke on 2
// quiet cores: face.locate 7.6 ms boosted vs 4.7 ms on one thread, a part
// decoder 5.8 vs 4.1 ms; the generator 13.3 vs 15.5 ms). A session times each
// node's lone runs (model loading excluded) both ways and keeps the faster:
// the first kLoneWarmRuns runs boost as before and are not timed (a model's
// first calls are profiled and rewritten), then one boosted and one plain run
// are timed, and every kLoneRecheck-th run tries the other way again, so a
// change in the machine's load or the model is noticed.
struct LoneNodeTimes {
  double boosted_ms = -1, plain_ms = -1;  // running means; -1 = not yet timed
  unsigned runs = 0;                      // lone runs decided so far
};
inline constexpr unsigned kLoneWarmRuns = 2, kLoneRecheck = 16;
// Whether this lone run of the node boosts; counts the run.
bool boost_this_lone_run(LoneNodeTimes& t);
// Records the compute time of the run just decided (ignored while warming up).
void record_lone_run(LoneNodeTimes& t, bool boosted, double ms);

// Whether TorchScript models run through LibTorch's optimising graph
// executor (the default) or its plain interpreter. The optimiser profiles a
// model's first call and rewrites its graph on the second: 40-60 ms of CPU
// per model, where the plain interpreter's first two calls cost 10-40 ms,
// and it then runs 0-7 % faster (tensor shapes specialised). A one-shot
// `sumi run` calls each of its 16 models once or twice, so it turns the
// optimiser off (cold start, issue 20); sessions that run a graph many times
// (editor, batch, Python) keep it. Applied per model call with LibTorch's
// thread-local switch, so a host process's own TorchScript is unaffected.
// SUMI_OPTIMISE_MODELS=0 or 1 in the environment overrides `on` (benchmarks).
void set_optimise_models(bool on);
bool optimise_models();

// Hands memory that is free but still held by the allocators back to the
// system: glibc's heaps (malloc_trim; the thresholds above keep up to 256 MB
// otherwise, and free pages inside the heap are never returned) and oneTBB's
// scalable allocator's buffers. For when a large owner has gone, e.g. the
// editor server ending a session; costs a few milliseconds, never call it per
// node. Safe from any thread.
void release_free_memory();

// Checks a device string ("cpu", "cuda", "cuda:N") against this build and
// machine; throws sumi::Error with the reason when it cannot be used.
void check_device(const std::string& device);

}  // namespace sumi
