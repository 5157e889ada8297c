// The entry point of a C++ plugin: a shared library of node types that the
// CLI, the editor server and the Python module load at start-up
// (engine/plugins.h; docs/plugins.md). A plugin declares its nodes exactly as
// the built-in ones do (engine/descriptor.h) and, in one .cpp file, names the
// function that registers them:
//
//   #include "engine/plugin_api.h"
//   void register_my_nodes(sumi::Registry& r) { r.add(my_sharpen_node()); }
//   SUMI_PLUGIN(register_my_nodes)
//
// and links sumi_engine (and sumi_nodes_common for the OpenCV image bridges).
// The macro exports two extern "C" functions: sumi_plugin_api_version(),
// which returns the SUMI_PLUGIN_API_VERSION the plugin was compiled against,
// and sumi_plugin_register(Registry*). The loader calls the first and refuses
// a plugin built for another version (naming the file and both versions)
// before it calls anything else: node types cross the boundary as C++ objects,
// so a plugin must be built against the same Sumi headers and compiler ABI.
//
// Thread safety: the register function runs once, on the loading thread; the
// registered compute functions run on the executor's worker threads like any
// node's.
#pragma once

#include "engine/registry.h"

// Bump when a type a plugin sees changes layout or meaning (NodeDescriptor,
// PortSpec, ParamSpec, NodeContext, Value, Registry). 2: ValueKind's Frame,
// Latent and Features left the engine for the face, latent and synth libraries.
// 3: Strokes and PartSet left it too (object kinds of nodes/common); the
// built-in ValueKind ids moved.
#define SUMI_PLUGIN_API_VERSION 3

#define SUMI_PLUGIN(register_fn)                                                                              \
  extern "C" __attribute__((visibility("default"))) int sumi_plugin_api_version() { return SUMI_PLUGIN_API_VERSION; } \
  extern "C" __attribute__((visibility("default"))) void sumi_plugin_register(::sumi::Registry* registry) {          \
    register_fn(*registry);                                                                                           \
  }
