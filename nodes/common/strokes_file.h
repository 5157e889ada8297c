// Strokes files (*.strokes.json), format "sumi.strokes" version 1:
//
//   { "format": "sumi.strokes", "version": 1, "canvas": [512, 512],
//     "strokes": [ { "kind": "line", "width": 3, "color": "#000000",
//                    "points": [[120, 80], [121.5, 82, 0.8]] } ] }
//
// Points are [x, y] or [x, y, pressure] in canvas pixels; pressure is 0..1
// (default 1) and scales the width. Kinds: line, hint (a colour hint), erase.
// The editor writes these files; the CLI and Python read them.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "nodes/common/strokes.h"

namespace sumi {

constexpr int kStrokesFormatVersion = 1;
constexpr int kMaxCanvas = 8192;
// The most points (all strokes together) and strokes a strokes file may
// hold; the JSON parser stops as soon as a file holds more values than such
// a file can (4 per point, 8 per stroke), before building the whole tree.
constexpr std::size_t kMaxStrokePoints = 2'000'000;
constexpr std::size_t kMaxStrokes = 100'000;

// Throws sumi::Error naming the file, stroke and point on malformed input.
Strokes parse_strokes(std::string_view text, const std::string& source = "<strokes>");
Strokes load_strokes_file(const std::string& path);
std::string strokes_to_json(const Strokes& s);
void save_strokes_file(const Strokes& s, const std::string& path);  // atomic

// "#rrggbb" or "#rrggbbaa"; returns false when malformed.
bool parse_color(std::string_view text, Rgba& out);
std::string color_to_string(const Rgba& c);

}  // namespace sumi
