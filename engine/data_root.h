#pragma once
// Where Sumi's shipped data lives (graphs/, models/, examples/, editor/web/dist),
// found at run time so that no build-machine path is compiled into a binary.
#include <filesystem>
#include <string>

namespace sumi {

// The data root, resolved once: $SUMI_HOME if set; else <prefix>/share/sumi for an
// installed tree (found by walking up from the binary or Python module that holds
// this code); else, in a build tree, the source tree named by the CMakeCache.txt
// above the binary; else the current directory.
const std::filesystem::path& data_root();

// The file the engine's code was loaded from (libsumi_engine.so, canonical), or
// empty if the loader cannot say. Plugins find the Python host beside it.
std::filesystem::path engine_module_file();

// data_root() / relative, as a string (e.g. data_path("models/parts/manifest.json")).
std::string data_path(const std::string& relative);

}  // namespace sumi
