#include "editor/server/request_guard.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "engine/json_util.h"

namespace sumi::editor {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// A header value quoted in a message: valid UTF-8, at most 120 bytes.
std::string shown(const std::string& s) {
  std::string v = utf8_safe(s.size() > 120 ? s.substr(0, 120) + "..." : s);
  return "'" + v + "'";
}

struct HostPort {
  std::string name;  // lower case; IPv6 addresses keep their brackets
  std::string port;  // "" when not given
};

// "Name:8188", "[::1]:8188", "name" -> {name, port}.
HostPort split_host_port(const std::string& text) {
  HostPort hp;
  std::string s = lower(trim(text));
  if (!s.empty() && s[0] == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos) return {s, ""};
    hp.name = s.substr(0, close + 1);
    if (close + 1 < s.size() && s[close + 1] == ':') hp.port = s.substr(close + 2);
    else if (close + 1 < s.size()) hp.name = s;  // garbage after the address: never matches
    return hp;
  }
  const auto colon = s.find(':');
  hp.name = s.substr(0, colon);
  if (colon != std::string::npos) hp.port = s.substr(colon + 1);
  return hp;
}

bool is_loopback_name(const std::string& name) { return name == "127.0.0.1" || name == "localhost" || name == "[::1]"; }

bool is_wildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]"; }

// An address a DNS answer cannot stand for: dotted IPv4 or bracketed IPv6.
bool is_ip_literal(const std::string& name) {
  if (!name.empty() && name[0] == '[') return name.back() == ']';
  int dots = 0;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 3;
}

// The bound address as an origin's host: IPv6 in brackets, lower case.
std::string bound_name(const std::string& host) {
  std::string h = lower(host);
  return h.find(':') != std::string::npos && h[0] != '[' ? "[" + h + "]" : h;
}

std::string own_origin(const RequestPolicy& p) {
  std::string name = is_loopback_host(p.host) ? "127.0.0.1" : is_wildcard(p.host) ? "ADDRESS" : bound_name(p.host);
  return "http://" + name + ":" + std::to_string(p.port);
}

bool origin_allowed(const std::string& origin_header, const httplib::Request& req, const RequestPolicy& p) {
  std::string origin = lower(trim(origin_header));
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  for (const std::string& a : p.allowed_origins) {
    std::string allowed = lower(trim(a));
    while (!allowed.empty() && allowed.back() == '/') allowed.pop_back();
    if (!allowed.empty() && origin == allowed) return true;
  }
  const std::string scheme = "http://";  // the server speaks plain HTTP only
  if (origin.rfind(scheme, 0) != 0) return false;
  const std::string rest = origin.substr(scheme.size());
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string::npos) return false;
  HostPort o = split_host_port(rest);
  if (o.port.empty()) o.port = "80";
  if (!std::all_of(o.port.begin(), o.port.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  const std::string port = std::to_string(p.port);
  if (is_loopback_host(p.host)) return is_loopback_name(o.name) && o.port == port;
  if (!is_wildcard(p.host)) return o.name == bound_name(p.host) && o.port == port;
  // Bound to every interface: the page must come from the address this request
  // was sent to, and that must be an IP address (a DNS name could be rebound).
  if (is_loopback_name(o.name) && o.port == port) return true;
  HostPort h = split_host_port(req.get_header_value("Host"));
  if (h.port.empty()) h.port = "80";
  return o.name == h.name && o.port == h.port && is_ip_literal(o.name);
}

std::optional<Refusal> utf8_problem(const std::string& what, const std::string& text) {
  const std::size_t bad = invalid_utf8_at(text);
  if (bad == std::string::npos) return std::nullopt;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
  return Refusal{400, what + " is not valid UTF-8 (byte " + hex + " at offset " + std::to_string(bad) +
                          "): names of graphs, sessions and files must be UTF-8"};
}

bool has_body(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  if (!req.has_header("Content-Length")) return false;
  const std::string n = trim(req.get_header_value("Content-Length"));
  return n.find_first_not_of('0') != std::string::npos || n.empty();
}

}  // namespace

bool is_loopback_host(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"; }

std::optional<std::string> json_content_type_problem(const std::string& content_type) {
  if (trim(content_type).empty()) return std::string("no Content-Type was given");
  const auto semi = content_type.find(';');
  const std::string media = lower(trim(content_type.substr(0, semi)));
  if (media != "application/json") return "the media type is " + shown(media) + ", not application/json";
  std::size_t pos = semi;
  while (pos != std::string::npos) {
    const auto next = content_type.find(';', pos + 1);
    const std::string param = trim(content_type.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
    pos = next;
    const auto eq = param.find('=');
    if (eq == std::string::npos || lower(trim(param.substr(0, eq))) != "charset") continue;
    std::string value = lower(trim(param.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value != "utf-8" && value != "utf8") return "the charset is " + shown(value) + ": JSON bodies must be UTF-8";
  }
  return std::nullopt;
}

std::optional<Refusal> check_request(const httplib::Request& req, const RequestPolicy& policy) {
  // Bound to loopback, only requests addressed to a loopback name are served,
  // so that a web page cannot reach the server through DNS rebinding.
  if (is_loopback_host(policy.host) && !req.get_header_value("Host").empty()) {
    const HostPort h = split_host_port(req.get_header_value("Host"));
    if (!is_loopback_name(h.name))
      return Refusal{403, "this server answers only to 127.0.0.1 or localhost, not " + shown(h.name)};
  }
  if (auto r = utf8_problem("the request path", req.path)) return r;
  for (const auto& [key, value] : req.params) {
    if (auto r = utf8_problem("the query parameter " + shown(key), value)) return r;
    if (auto r = utf8_problem("a query parameter name", key)) return r;
  }

  const bool api = req.path == "/api" || req.path.rfind("/api/", 0) == 0;
  if (api && lower(trim(req.get_header_value("Sec-Fetch-Site"))) == "cross-site")
    return Refusal{403, "cross-site request refused (Sec-Fetch-Site: cross-site): the editor's API answers only "
                        "pages served by this server"};
  if (api && req.has_header("Origin") && !origin_allowed(req.get_header_value("Origin"), req, policy))
    return Refusal{403, "cross-origin request refused: Origin " + shown(req.get_header_value("Origin")) +
                            " is not this server (" + own_origin(policy) +
                            "); open the editor from this server's address (sumi serve --allow-origin adds a trusted origin)"};

  const bool write = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
  if (write && has_body(req)) {
    if (auto problem = json_content_type_problem(req.get_header_value("Content-Type")))
      return Refusal{415, "send the body as JSON with Content-Type: application/json (" + *problem + ")"};
  }
  return std::nullopt;
}

}  // namespace sumi::editor
