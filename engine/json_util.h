// JSON helpers shared by the file formats (graph, strokes, manifests) and the
// editor's request bodies: checked parsing with line/column error messages and
// a diff-friendly pretty printer.
//
//   nlohmann::ordered_json j = parse_json(text, "graphs/x.sumi.json");
//   std::string out = dump_json(j);  // 2-space indent, short numeric arrays on one line
//
// Every JSON that comes from outside (files, request bodies, command-line
// values) goes through parse_json / parse_json_unordered: the text must be
// UTF-8 and nest at most kMaxJsonDepth arrays/objects deep (deeper documents
// would overflow the stack of the recursive code that walks, copies or prints
// them), duplicate keys are refused.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/param.h"

namespace sumi {

// The deepest nesting of arrays/objects a parsed JSON may have.
constexpr int kMaxJsonDepth = 256;
// The most values (numbers, strings, arrays, objects...) one parsed JSON may
// hold: the parsed tree costs tens of bytes per value, so a 256 MB file of
// "[0,0,0,..." would otherwise take gigabytes. Checked while parsing.
constexpr std::size_t kMaxJsonValues = std::size_t{1} << 24;

// Throws sumi::Error "file: malformed JSON at line L, column C: ..." on a syntax
// error, "file: invalid UTF-8 at line L, column C ..." and "file: JSON nested
// deeper than 256 levels at line L, column C" (checked before parsing), and
// "file: the JSON holds more than N values" as soon as it does.
nlohmann::ordered_json parse_json(std::string_view text, const std::string& file, std::size_t max_values = kMaxJsonValues);
// The same for code that uses nlohmann::json (model manifests).
nlohmann::json parse_json_unordered(std::string_view text, const std::string& file,
                                    std::size_t max_values = kMaxJsonValues);

// The UTF-8 and depth checks of parse_json alone (a linear scan that skips
// strings and escapes); throws the same errors.
void check_json_text(std::string_view text, const std::string& file, int max_depth = kMaxJsonDepth);

// The byte offset of the first byte that is not well-formed UTF-8 (RFC 3629:
// no overlong forms, surrogates or code points above U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view text);
// `text` with every ill-formed byte replaced by U+FFFD (for error messages).
std::string utf8_safe(std::string_view text);

// A parameter value from JSON: bool, integer, number, string, or a list of
// numbers. Throws sumi::Error with `ctx` for anything else.
ParamValue param_from_json(const nlohmann::ordered_json& j, const ErrorContext& ctx);
ParamValue param_from_json(const nlohmann::json& j, const ErrorContext& ctx);

// Objects one key per line; arrays of numbers/strings/bools on one line.
// Ends with a newline.
std::string dump_json(const nlohmann::ordered_json& j);

}  // namespace sumi
