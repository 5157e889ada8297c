#include "editor/server/http_util.h"

#include "engine/error.h"
#include "engine/json_util.h"

namespace sumi::editor {

void send_json(httplib::Response& res, const Json& body, int status) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // Names taken from requests or files may hold bytes that are not UTF-8:
  // they are shown as U+FFFD rather than failing the reply.
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const Json& extra) {
  Json j = {{"error", message}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  send_json(res, j, status);
}

Json parse_body(const httplib::Request& req) {
  if (req.body.empty()) throw ApiError(400, "the request body is empty; expected a JSON object");
  Json j;
  try {
    j = parse_json(req.body, "request body");
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  if (!j.is_object()) throw ApiError(400, "request body: expected a JSON object");
  return j;
}

httplib::Server::Handler guarded(httplib::Server::Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const ApiError& e) {
      send_error(res, e.status(), e.what(), e.extra());
    } catch (const Error& e) {
      send_error(res, 400, e.what());
    } catch (const nlohmann::json::exception& e) {
      send_error(res, 400, std::string("malformed request: ") + e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      send_error(res, 500, "internal error");
    }
  };
}

}  // namespace sumi::editor
