// Node parameters: typed, named, with default, range and a one-line doc.
//
//   ParamSpec::integer("size", 512, "canvas size in pixels").range(16, 4096)
//   ParamSpec::path("path", "", "output file (.png)").writes()
//
// Parameter values are checked against their spec when a graph is validated,
// so node code can read them without re-checking.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sumi {

enum class ParamType : std::uint8_t {
  Int,
  Float,
  Bool,
  String,
  Enum,       // a string among `choices`
  IntList,    // fixed or free length list of integers
  FloatList,  // fixed or free length list of numbers
  Path,       // a file path; relative paths resolve against the graph file's folder
  Model,      // a model file path; its content fingerprint joins the cache key
};

std::string_view param_type_name(ParamType t);

// What a node does with the file a Path/Model parameter names; a sandbox
// (engine/sandbox.h) checks it before the node runs. Model parameters read.
// A Path parameter that declares nothing is treated as ReadWrite (the
// strictest: it must lie in a folder allowed for both).
enum class PathAccess : std::uint8_t { None, Read, Write, ReadWrite };

std::string_view path_access_name(PathAccess a);  // "read", "write", "read/write"

using ParamValue = std::variant<bool, std::int64_t, double, std::string, std::vector<double>>;

// Renders a value for messages and docs, e.g. 0.5, "abc", [1, 2, 3].
std::string param_to_string(const ParamValue& v);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Float;
  ParamValue def;
  std::optional<double> min, max;    // inclusive; for lists, per element
  std::vector<std::string> choices;  // Enum only
  std::size_t length = 0;            // lists: required length, 0 = any
  bool empty_ok = false;             // lists with a length: [] is accepted too ("not set")
  std::string doc;
  // A control an artist adjusts while drawing (a projection's blend, a
  // shadow's opacity): the editor shows it as a live slider.
  bool live = false;
  PathAccess access = PathAccess::None;  // Path/Model only

  static ParamSpec integer(std::string name, std::int64_t def, std::string doc);
  static ParamSpec number(std::string name, double def, std::string doc);
  static ParamSpec boolean(std::string name, bool def, std::string doc);
  static ParamSpec string(std::string name, std::string def, std::string doc);
  static ParamSpec choice(std::string name, std::vector<std::string> choices, std::string def, std::string doc);
  static ParamSpec int_list(std::string name, std::vector<double> def, std::size_t length, std::string doc);
  static ParamSpec float_list(std::string name, std::vector<double> def, std::size_t length, std::string doc);
  static ParamSpec path(std::string name, std::string def, std::string doc);
  static ParamSpec model(std::string name, std::string def, std::string doc);

  ParamSpec&& range(double lo, double hi) && {
    min = lo;
    max = hi;
    return std::move(*this);
  }
  ParamSpec&& at_least(double lo) && {
    min = lo;
    return std::move(*this);
  }
  // A list parameter whose [] means "not set" (the node then uses another source).
  ParamSpec&& or_empty() && {
    empty_ok = true;
    return std::move(*this);
  }
  ParamSpec&& live_control() && {
    live = true;
    return std::move(*this);
  }
  // Path parameters: the node reads / writes the file.
  ParamSpec&& reads() && {
    access = PathAccess::Read;
    return std::move(*this);
  }
  ParamSpec&& writes() && {
    access = PathAccess::Write;
    return std::move(*this);
  }
  // How a sandbox checks this parameter: None for non-file parameters.
  PathAccess file_access() const;
};

// Checks `v` against `spec`, converting where lossless (an integral Float to
// Int, an Int to Float). Returns an error message, or an empty string when OK.
std::string check_param(const ParamSpec& spec, ParamValue& v);

}  // namespace sumi
