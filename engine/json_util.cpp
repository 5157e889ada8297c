#include "engine/json_util.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/error.h"

namespace sumi {
namespace {

// The length of the well-formed UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;  // no overlong forms
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 3;
  else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else if (c == 0xF4) n = 4, hi = 0x8F;  // nothing above U+10FFFF
  else return 0;
  if (i + n > text.size()) return 0;
  const auto c1 = static_cast<unsigned char>(text[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

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
  // get<int64_t>() wraps integers above INT64_MAX (18446744073709551615 became -1).
  if (j.is_number_unsigned() && j.template get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    throw Error(ctx, "integer " + j.dump() + " is too large (at most " + std::to_string(INT64_MAX) + ")");
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

std::size_t invalid_utf8_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string utf8_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

void check_json_text(std::string_view text, const std::string& file, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  std::size_t line = 1, col = 1;
  auto fail = [&](const std::string& what, const std::string& hint) {
    ErrorContext ctx;
    ctx.file = file;
    throw Error(ctx, what + " at line " + std::to_string(line) + ", column " + std::to_string(col) + hint);
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_length(text, i);
      if (n == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        fail(std::string("invalid UTF-8 (byte ") + hex + ")", ": JSON text must be UTF-8");
      }
      i += n;
      col += n;
      continue;
    }
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        fail("JSON nested deeper than " + std::to_string(max_depth) + " levels of arrays/objects",
             " (a Sumi document never needs that many)");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    ++i;
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

namespace {

template <typename J>
J parse_checked(std::string_view text, const std::string& file, std::size_t max_values) {
  check_json_text(text, file, kMaxJsonDepth);
  // The parser silently keeps the last of duplicate keys; a duplicate node id
  // in a graph file must be an error instead, so track keys per object.
  struct Frame {
    std::string key;  // the key this object sits under ("" for arrays' items and the root)
    std::vector<std::string> seen;
  };
  std::vector<Frame> stack;
  std::string pending_key;
  std::string duplicate;
  std::size_t values = 0;
  auto track = [&](int /*depth*/, typename J::parse_event_t event, J& parsed) {
    using E = typename J::parse_event_t;
    if ((event == E::value || event == E::object_start || event == E::array_start) && ++values > max_values) {
      ErrorContext ctx;
      ctx.file = file;
      throw Error(ctx, "the JSON holds more than " + std::to_string(max_values) + " values (a Sumi document never needs that many)");
    }
    if (event == E::object_start) {
      stack.push_back({pending_key, {}});
      pending_key.clear();
    } else if (event == E::object_end && !stack.empty()) {
      stack.pop_back();
    } else if (event == E::key && !stack.empty() && duplicate.empty()) {
      std::string key = parsed.template get<std::string>();
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
    J j = J::parse(text.begin(), text.end(), track);
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
    throw Error(ctx, "malformed JSON at line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + utf8_safe(what));
  } catch (const nlohmann::json::exception& e) {
    // E.g. out_of_range.406 "number overflow parsing '1e400'": keep the text, drop the library's prefix.
    std::string what = e.what();
    if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos) what = what.substr(what.find("] ") + 2);
    ErrorContext ctx;
    ctx.file = file;
    throw Error(ctx, "malformed JSON: " + utf8_safe(what));
  }
}

}  // namespace

nlohmann::ordered_json parse_json(std::string_view text, const std::string& file, std::size_t max_values) {
  return parse_checked<nlohmann::ordered_json>(text, file, max_values);
}

nlohmann::json parse_json_unordered(std::string_view text, const std::string& file, std::size_t max_values) {
  return parse_checked<nlohmann::json>(text, file, max_values);
}

std::string dump_json(const nlohmann::ordered_json& j) {
  std::string out;
  dump_into(j, 0, out);
  out += "\n";
  return out;
}

}  // namespace sumi
