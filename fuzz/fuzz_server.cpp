// The editor server's request handling that runs before and around a route,
// without a socket (editor/server): the header checks (check_request, under
// three bindings), the JSON body (parse_body), a run request
// (parse_run_request against the graphs folder, with an empty registry) and
// the JSON error reply every refusal or ApiError becomes (send_error).
//
// Input: "METHOD PATH[?a=b&c=d]\n", header lines "Name: value\n", an empty
// line, then the body.
#include <httplib.h>

#include "editor/server/http_util.h"
#include "editor/server/request_guard.h"
#include "editor/server/run_request.h"
#include "engine/registry.h"
#include "fuzz/fuzz_util.h"

namespace {

std::string take_line(std::string_view& text) {
  const auto nl = text.find('\n');
  std::string line(text.substr(0, nl));
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

httplib::Request make_request(std::string_view text) {
  httplib::Request req;
  const std::string first = take_line(text);
  const auto space = first.find(' ');
  req.method = first.substr(0, space);
  std::string target = space == std::string::npos ? "/" : first.substr(space + 1);
  req.target = target;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view kv = query.substr(0, amp);
      const auto eq = kv.find('=');
      req.params.emplace(std::string(kv.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  while (!text.empty()) {
    const std::string line = take_line(text);
    if (line.empty()) break;
    const auto colon = line.find(':');
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    req.headers.emplace(line.substr(0, colon), value);
  }
  req.body = std::string(text);
  return req;
}

// What guarded() and the server do with an error: a JSON reply. It must not throw.
void reply(int status, const std::string& message, const sumi::editor::Json& extra = sumi::editor::Json::object()) {
  httplib::Response res;
  try {
    sumi::editor::send_error(res, status, message, extra);
  } catch (const std::exception& e) {
    sumi::fuzz::finding(std::string("the error reply throws: ") + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sumi;
  using namespace sumi::editor;
  static const Registry registry;
  static const GraphStore store(SUMI_SOURCE_DIR "/graphs");  // read only
  static const RequestPolicy policies[] = {
      {"127.0.0.1", 8188, {}}, {"0.0.0.0", 8188, {"http://localhost:5173"}}, {"192.168.1.20", 80, {}}};

  const httplib::Request req = make_request(fuzz::as_text(data, size));
  for (const RequestPolicy& p : policies) {
    try {
      if (auto refusal = check_request(req, p)) reply(refusal->status, refusal->message);
    } catch (const std::exception& e) {
      fuzz::finding(std::string("check_request throws: ") + e.what());
    }
  }
  try {
    const Json body = parse_body(req);
    const RunRequest r = parse_run_request(body, registry, store);
    (void)r;
  } catch (const ApiError& e) {
    reply(e.status(), e.what(), e.extra());
  } catch (const Error& e) {
    reply(400, e.what());
  } catch (const std::exception& e) {
    fuzz::finding(std::string("exception ") + typeid(e).name() + " escaped: " + e.what());
  }
  return 0;
}
