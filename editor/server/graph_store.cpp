#include "editor/server/graph_store.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "engine/error.h"
#include "engine/graph_file.h"

namespace fs = std::filesystem;

namespace sumi::editor {

namespace {
const std::string kSuffix = ".sumi.json";

bool inside(const fs::path& dir, const fs::path& p) {
  auto d = dir.begin(), q = p.begin();
  for (; d != dir.end(); ++d, ++q)
    if (q == p.end() || *d != *q) return false;
  return true;
}
}  // namespace

GraphStore::GraphStore(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
  dir_ = (ec ? fs::absolute(dir).lexically_normal() : p).string();
}

std::string GraphStore::resolve(const std::string& file) const {
  if (file.empty()) throw ApiError(400, "no graph file name given");
  if (file.find('/') != std::string::npos || file.find('\\') != std::string::npos ||
      file.find("..") != std::string::npos || file.find('\0') != std::string::npos || file[0] == '.')
    throw ApiError(403, "'" + file + "' is outside the graphs folder; give a plain file name such as x.sumi.json");
  static const std::regex valid(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,120})");
  if (file.size() <= kSuffix.size() || file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0 ||
      !std::regex_match(file, valid))
    throw ApiError(400, "'" + file + "' is not a graph file name: use letters, digits, '_', '-' or '.', ending in .sumi.json");
  fs::path p = fs::path(dir_) / file;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(p, ec))) {
    fs::path real = fs::weakly_canonical(p, ec);
    if (ec || !inside(fs::path(dir_), real)) throw ApiError(403, "'" + file + "' points outside the graphs folder");
  }
  return p.string();
}

Json GraphStore::list() const {
  Json out = Json::array();
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
      files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    Json item = {{"file", f}};
    try {
      Graph g = load(f);
      item["name"] = g.name;
      item["doc"] = g.doc;
      item["nodes"] = g.nodes().size();
      Json outs = Json::array();
      for (const auto& [name, ep] : g.outputs()) outs.push_back(name);
      item["outputs"] = outs;
      // A file with interface inputs is meant to be instantiated: the palette lists it.
      item["subgraph"] = !g.interface_inputs().empty();
    } catch (const std::exception& e) {
      item["error"] = e.what();
    }
    out.push_back(item);
  }
  return out;
}

Graph GraphStore::load(const std::string& file) const {
  std::string path = resolve(file);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ApiError(404, "no graph '" + file + "' in the graphs folder");
  return load_graph_file(path);
}

void GraphStore::save(const std::string& file, const Graph& g) const {
  save_graph_file(g, resolve(file));
}

}  // namespace sumi::editor
