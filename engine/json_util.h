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

namespace sumi {

// Throws sumi::Error "file: malformed JSON at line L, column C: ..." on a syntax error.
nlohmann::ordered_json parse_json(std::string_view text, const std::string& file);

// Objects one key per line; arrays of numbers/strings/bools on one line.
// Ends with a newline.
std::string dump_json(const nlohmann::ordered_json& j);

}  // namespace sumi
