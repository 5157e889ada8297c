// Small helpers shared by the editor's routes: JSON replies, JSON errors and
// request-body parsing.
//
//   throw ApiError(404, "no session 'abc'");      // caught by guarded()
//   srv.Get("/x", guarded([](const auto& req, auto& res) { send_json(res, {{"ok", true}}); }));
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include <httplib.h>

#include "editor/server/api_error.h"

namespace sumi::editor {

void send_json(httplib::Response& res, const Json& body, int status = 200);
// {"error": message, ...extra}
void send_error(httplib::Response& res, int status, const std::string& message, const Json& extra = Json::object());

// Parses the body as a JSON object (engine/json_util.h: UTF-8, at most 256
// levels deep); ApiError 400 with line/column when malformed.
Json parse_body(const httplib::Request& req);

// Wraps a handler: ApiError -> its status; sumi::Error and other exceptions ->
// 400/500 with the message. Nothing escapes into the server.
httplib::Server::Handler guarded(httplib::Server::Handler handler);

}  // namespace sumi::editor
