// JSON helpers shared by the file formats (graph, strokes): parsing with
// line/column error messages and a diff-friendly pretty printer.
//
//   nlohmann::ordered_json j = parse_json(text, "graphs/x.sumi.json");
//   std::string out = dump_json(j);  // 2-space indent, short numeric arrays on one line
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/param.h"

namespace sumi {

// Throws sumi::Error "file: malformed JSON at line L, column C: ..." on a syntax error.
nlohmann::ordered_json parse_json(std::string_view text, const std::string& file);

// A parameter value from JSON: bool, integer, number, string, or a list of
// numbers. Throws sumi::Error with `ctx` for anything else.
ParamValue param_from_json(const nlohmann::ordered_json& j, const ErrorContext& ctx);
ParamValue param_from_json(const nlohmann::json& j, const ErrorContext& ctx);

// Objects one key per line; arrays of numbers/strings/bools on one line.
// Ends with a newline.
std::string dump_json(const nlohmann::ordered_json& j);

}  // namespace sumi
