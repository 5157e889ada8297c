// The runtime keeps a model's freed activations in the heap for the next run:
// with glibc's default, adaptive thresholds the activations went back to the
// system after every forward and the next one faulted every page in again.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "engine/graph.h"
#include "engine/node_context.h"
#include "engine/registry.h"
#include "engine/runtime.h"
#include "engine/session.h"

namespace sumi::test {
namespace {

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

TEST(RuntimeMemory, ARunsActivationsAreReusedByTheNextRun) {
  configure_threads(0);
  Registry reg;
  NodeDescriptor d;
  d.id = "test.activations";
  d.doc = "allocates and frees activations of a few MB, like a small convolutional model";
  d.outputs = {PortSpec::out("out", ValueKind::Scalar, "a sum")};
  d.compute = [](NodeContext& ctx) {
    at::Tensor x = at::ones({1, 48, 128, 128});  // 3 MB, then 6, 12, 3 MB...
    for (int i = 0; i < 3; ++i) x = at::relu(at::cat({x, x * 0.5f}, 1) - 0.25f);
    x = at::avg_pool2d(x, 2);
    ctx.set_output("out", Value::make_scalar(x.sum().item<double>()));
  };
  reg.add(d);
  Session session(reg);
  Graph g;
  g.add_node("model", "test.activations");
  g.set_output("out", "model.out");
  RunOptions opts;
  opts.use_cache = false;
  for (int i = 0; i < 3; ++i) session.run(g, opts);
  // One run touches ~40 MB of activations (~10,000 pages): without reuse every
  // run faults them all in again; with it a run faults almost none. The
  // fewest of five runs is taken, so that a stray fault burst from the rest of
  // a loaded machine's process (seen once under ctest -j2) does not count.
  long fewest = -1;
  for (int i = 0; i < 5; ++i) {
    const long before = minor_faults();
    session.run(g, opts);
    const long faults = minor_faults() - before;
    if (fewest < 0 || faults < fewest) fewest = faults;
  }
  EXPECT_LT(fewest, 500) << "every run's activations were faulted in again";
}

}  // namespace
}  // namespace sumi::test
