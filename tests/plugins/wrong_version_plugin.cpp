// A plugin as if built against another Sumi: its API version is not this
// Sumi's. The loader must refuse it, naming the file and both versions,
// without calling its register function (which would fail the test).
#include <cstdio>
#include <cstdlib>

namespace sumi {
class Registry;
}

extern "C" __attribute__((visibility("default"))) int sumi_plugin_api_version() { return 999; }
extern "C" __attribute__((visibility("default"))) void sumi_plugin_register(sumi::Registry*) {
  std::fprintf(stderr, "wrong_version_plugin: registered despite its version\n");
  std::abort();
}
