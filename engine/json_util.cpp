#include "engine/json_util.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"

namespace sumi {
namespace {

bool all_primitive(const nlohmann::ordered_json& a) {
  for (const auto& e : a)
    if (e.is_structured()) return false;
  return true;
}

void dump_into(const nlohmann::ordered_json& j, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (j.is_object()) {
    if (j.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out += inner + nlohmann::ordered_json(it.key()).dump() + ": ";
      dump_into(it.value(), indent + 1, out);
    }
    out += "\n" + pad + "}";
  } else if (j.is_array()) {
    if (all_primitive(j)) {
      out += "[";
      for (std::size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + j[i].dump();
      out += "]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < j.size(); ++i) {
      out += inner;
      dump_into(j[i], indent + 1, out);
      out += i + 1 < j.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += j.dump();
  }
}

template <typename J>
ParamValue param_from(const J& j, const ErrorContext& ctx) {
  if (j.is_boolean()) return j.template get<bool>();
  if (j.is_number_integer()) return j.template get<std::int64_t>();
  if (j.is_number()) return j.template get<double>();
  if (j.is_string()) return j.template get<std::string>();
  if (j.is_array()) {
    std::vector<double> out;
    for (const auto& e : j) {
      if (!e.is_number()) throw Error(ctx, "lists may hold numbers only, got " + e.dump());
      out.push_back(e.template get<double>());
    }
    return out;
  }
  throw Error(ctx, "unsupported parameter value " + j.dump() + " (a boolean, number, string or list of numbers)");
}

}  // namespace

ParamValue param_from_json(const nlohmann::ordered_json& j, const ErrorContext& ctx) { return param_from(j, ctx); }
ParamValue param_from_json(const nlohmann::json& j, const ErrorContext& ctx) { return param_from(j, ctx); }

nlohmann::ordered_json parse_json(std::string_view text, const std::string& file) {
  // The parser silently keeps the last of duplicate keys; a duplicate node id
  // in a graph file must be an error instead, so track keys per object.
  struct Frame {
    std::string key;  // the key this object sits under ("" for arrays' items and the root)
    std::vector<std::string> seen;
  };
  std::vector<Frame> stack;
  std::string pending_key;
  std::string duplicate;
  auto track = [&](int /*depth*/, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json& parsed) {
    using E = nlohmann::ordered_json::parse_event_t;
    if (event == E::object_start) {
      stack.push_back({pending_key, {}});
      pending_key.clear();
    } else if (event == E::object_end && !stack.empty()) {
      stack.pop_back();
    } else if (event == E::key && !stack.empty() && duplicate.empty()) {
      std::string key = parsed.get<std::string>();
      auto& seen = stack.back().seen;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        for (const auto& f : stack)
          if (!f.key.empty()) duplicate += f.key + ".";
        duplicate += key;
      }
      seen.push_back(key);
      pending_key = key;
    } else if (event == E::array_start) {
      pending_key.clear();
    }
    return true;
  };
  try {
    auto j = nlohmann::ordered_json::parse(text.begin(), text.end(), track);
    if (!duplicate.empty()) {
      ErrorContext ctx;
      ctx.file = file;
      throw Error(ctx, "duplicate key '" + duplicate + "'");
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the position of the offending character.
    std::size_t pos = e.byte > 0 ? e.byte - 1 : 0;
    if (pos > text.size()) pos = text.size();
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
    if (auto c = what.find("syntax error"); c != std::string::npos) what = what.substr(c);
    ErrorContext ctx;
    ctx.file = file;
    throw Error(ctx, "malformed JSON at line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + what);
  }
}

std::string dump_json(const nlohmann::ordered_json& j) {
  std::string out;
  dump_into(j, 0, out);
  out += "\n";
  return out;
}

}  // namespace sumi
