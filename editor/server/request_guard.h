// The editor server's checks on every request, made from its headers before a
// route runs or the body is read: what keeps other web pages in the user's
// browser (and DNS rebinding) away from the API.
//
//   RequestPolicy p{.host = "127.0.0.1", .port = 8188};
//   if (auto refusal = check_request(req, p)) send_error(res, refusal->status, refusal->message);
//
// In order:
//   - bound to loopback: the Host header must name 127.0.0.1, localhost or [::1] (403);
//   - the path and query must be UTF-8 (400);
//   - /api requests: `Sec-Fetch-Site: cross-site` is refused, and an `Origin`
//     header, when present, must be the server's own origin (403): http://HOST:PORT
//     of the bound address (any loopback name when bound to loopback; when bound to
//     all interfaces, the IP address or loopback name the request was sent to), or
//     one of `allowed_origins`;
//   - POST/PUT/PATCH/DELETE with a body: the media type must be exactly
//     application/json, with no charset other than utf-8 (415). Browsers send
//     such a request cross-origin only after a CORS preflight, which this server
//     never grants.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

namespace sumi::editor {

struct RequestPolicy {
  std::string host = "127.0.0.1";  // the address the server is bound to
  int port = 8188;                 // the port it listens on
  std::vector<std::string> allowed_origins;  // more origins to trust, e.g. "http://localhost:5173"
};

struct Refusal {
  int status;
  std::string message;
};

bool is_loopback_host(const std::string& host);

// The refusal of a request, or nothing when it may proceed.
std::optional<Refusal> check_request(const httplib::Request& req, const RequestPolicy& policy);

// "application/json; charset=utf-8" -> nothing; anything else -> why not (for a 415).
std::optional<std::string> json_content_type_problem(const std::string& content_type);

}  // namespace sumi::editor
