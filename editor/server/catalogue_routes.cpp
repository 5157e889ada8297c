#include <algorithm>
#include <filesystem>
#include <cctype>
#include <fstream>
#include <iterator>

#include "editor/server/http_util.h"
#include "editor/server/routes.h"
#include "engine/introspect.h"
#include "engine/json_util.h"

namespace sumi::editor {

namespace {
namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxManifestBytes = std::uintmax_t{4} << 20;

bool is_model_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::string name = p.filename().string();
  return ext == ".pt" || ext == ".pth" || ext == ".ts" || ext == ".torchscript" || name == "manifest.json" ||
         (name.size() > 14 && name.compare(name.size() - 14, 14, ".manifest.json") == 0);
}

// Model files (TorchScript) and manifests under `dir`, with paths relative to it;
// manifests carry their parsed content. Skips node_modules and hidden folders.
// `graph_path`: the file as a graph in the graphs folder names it (graph
// files resolve relative paths against their own folder).
Json list_models(const std::string& dir, const std::string& graphs_dir) {
  Json out = Json::array();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (it->is_directory(ec)) {
      if (name == "node_modules" || name[0] == '.' || it.depth() >= 4) it.disable_recursion_pending();
      continue;
    }
    if (!is_model_file(p)) continue;
    Json m = {{"path", fs::relative(p, dir, ec).generic_string()},
              {"graph_path", fs::proximate(fs::absolute(p, ec), fs::absolute(graphs_dir, ec), ec).generic_string()},
              {"bytes", fs::file_size(p, ec)}};
    if (p.extension() == ".json") {
      // A manifest is small; anything big (or not a regular file) is not read.
      if (!it->is_regular_file(ec) || fs::file_size(p, ec) > kMaxManifestBytes) {
        m["error"] = "not a regular file of at most 4 MB: not read";
      } else {
        std::ifstream f(p, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        try {
          m["manifest"] = parse_json(text, m["path"].get<std::string>());  // depth- and UTF-8-checked
        } catch (const Error& e) {
          m["error"] = e.message();
        }
      }
    }
    out.push_back(m);
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["path"] < b["path"]; });
  return out;
}
bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp";
}

// The reference images directly in `dir` (AniFaceDrawing's colour references):
// name, the path as a graph in the graphs folder names it, and the URL of the image.
Json list_references(const std::string& dir, const std::string& graphs_dir) {
  Json out = Json::array();
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& p = it->path();
    if (!it->is_regular_file(ec) || !is_image_file(p)) continue;
    const std::string name = p.filename().string();
    out.push_back({{"name", name},
                   {"graph_path", fs::proximate(fs::absolute(p, ec), fs::absolute(graphs_dir, ec), ec).generic_string()},
                   {"url", "/api/references/" + name}});
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["name"] < b["name"]; });
  return out;
}
}  // namespace

void add_catalogue_routes(httplib::Server& srv, ServerContext& ctx) {
  // The catalogue does not change while serving: render it once.
  auto catalogue = std::make_shared<std::string>(registry_to_json(ctx.registry));
  srv.Get("/api/nodes", guarded([catalogue](const httplib::Request&, httplib::Response& res) {
            res.set_content(*catalogue, "application/json");
          }));
  srv.Get("/api/models", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, {{"models", list_models(ctx.models_dir, ctx.graphs.dir())}});
          }));
  srv.Get("/api/references", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, {{"references", list_references(ctx.references_dir, ctx.graphs.dir())}});
          }));
  // Only names that the listing offers are served: no paths, no traversal.
  srv.Get(R"(/api/references/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            const std::string name = req.matches[1];
            for (const Json& r : list_references(ctx.references_dir, ctx.graphs.dir())) {
              if (r["name"] != name) continue;
              std::ifstream f(fs::path(ctx.references_dir) / name, std::ios::binary);
              std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
              const std::string ext = fs::path(name).extension().string();
              res.set_content(bytes, ext == ".png" || ext == ".PNG" ? "image/png" : ext == ".webp" ? "image/webp" : "image/jpeg");
              return;
            }
            throw ApiError(404, "no reference image '" + name + "'");
          }));
}

}  // namespace sumi::editor
