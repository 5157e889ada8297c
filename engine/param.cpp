#include "engine/param.h"

#include <cmath>
#include <sstream>

namespace sumi {
namespace {

std::string num(double d) {
  std::ostringstream os;
  os.precision(15);
  os << d;
  return os.str();
}

bool is_integral(double d) { return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15; }

std::string check_range(const ParamSpec& spec, double d) {
  if (!std::isfinite(d)) return "value " + num(d) + " is not finite";
  if (spec.min && d < *spec.min) return num(d) + " is below the minimum " + num(*spec.min);
  if (spec.max && d > *spec.max) return num(d) + " is above the maximum " + num(*spec.max);
  return {};
}

std::string type_error(const ParamSpec& spec, const ParamValue& v) {
  return "expected " + std::string(param_type_name(spec.type)) + ", got " + param_to_string(v);
}

ParamSpec make(std::string name, ParamType type, ParamValue def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.def = std::move(def);
  s.doc = std::move(doc);
  return s;
}

}  // namespace

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::Bool: return "bool";
    case ParamType::String: return "string";
    case ParamType::Enum: return "enum";
    case ParamType::IntList: return "int list";
    case ParamType::FloatList: return "float list";
    case ParamType::Path: return "path";
    case ParamType::Model: return "model";
  }
  return "?";
}

std::string_view path_access_name(PathAccess a) {
  switch (a) {
    case PathAccess::None: return "none";
    case PathAccess::Read: return "read";
    case PathAccess::Write: return "write";
    case PathAccess::ReadWrite: return "read/write";
  }
  return "?";
}

PathAccess ParamSpec::file_access() const {
  if (type == ParamType::Model) return PathAccess::Read;
  if (type != ParamType::Path) return PathAccess::None;
  return access == PathAccess::None ? PathAccess::ReadWrite : access;
}

std::string param_to_string(const ParamValue& v) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return num(d); }
    std::string operator()(const std::string& s) const { return '"' + s + '"'; }
    std::string operator()(const std::vector<double>& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + num(l[i]);
      return out + "]";
    }
  };
  return std::visit(Visitor{}, v);
}

ParamSpec ParamSpec::integer(std::string name, std::int64_t def, std::string doc) {
  return make(std::move(name), ParamType::Int, def, std::move(doc));
}
ParamSpec ParamSpec::number(std::string name, double def, std::string doc) {
  return make(std::move(name), ParamType::Float, def, std::move(doc));
}
ParamSpec ParamSpec::boolean(std::string name, bool def, std::string doc) {
  return make(std::move(name), ParamType::Bool, def, std::move(doc));
}
ParamSpec ParamSpec::string(std::string name, std::string def, std::string doc) {
  return make(std::move(name), ParamType::String, std::move(def), std::move(doc));
}
ParamSpec ParamSpec::choice(std::string name, std::vector<std::string> choices, std::string def, std::string doc) {
  ParamSpec s = make(std::move(name), ParamType::Enum, std::move(def), std::move(doc));
  s.choices = std::move(choices);
  return s;
}
ParamSpec ParamSpec::int_list(std::string name, std::vector<double> def, std::size_t length, std::string doc) {
  ParamSpec s = make(std::move(name), ParamType::IntList, std::move(def), std::move(doc));
  s.length = length;
  return s;
}
ParamSpec ParamSpec::float_list(std::string name, std::vector<double> def, std::size_t length, std::string doc) {
  ParamSpec s = make(std::move(name), ParamType::FloatList, std::move(def), std::move(doc));
  s.length = length;
  return s;
}
ParamSpec ParamSpec::path(std::string name, std::string def, std::string doc) {
  return make(std::move(name), ParamType::Path, std::move(def), std::move(doc));
}
ParamSpec ParamSpec::model(std::string name, std::string def, std::string doc) {
  return make(std::move(name), ParamType::Model, std::move(def), std::move(doc));
}

std::string check_param(const ParamSpec& spec, ParamValue& v) {
  switch (spec.type) {
    case ParamType::Int: {
      if (auto* d = std::get_if<double>(&v)) {
        if (!is_integral(*d)) return "expected an integer, got " + num(*d);
        v = static_cast<std::int64_t>(*d);
      }
      auto* i = std::get_if<std::int64_t>(&v);
      if (!i) return type_error(spec, v);
      return check_range(spec, static_cast<double>(*i));
    }
    case ParamType::Float: {
      if (auto* i = std::get_if<std::int64_t>(&v)) v = static_cast<double>(*i);
      auto* d = std::get_if<double>(&v);
      if (!d) return type_error(spec, v);
      return check_range(spec, *d);
    }
    case ParamType::Bool:
      return std::holds_alternative<bool>(v) ? std::string() : type_error(spec, v);
    case ParamType::String:
    case ParamType::Path:
    case ParamType::Model:
      return std::holds_alternative<std::string>(v) ? std::string() : type_error(spec, v);
    case ParamType::Enum: {
      auto* s = std::get_if<std::string>(&v);
      if (!s) return type_error(spec, v);
      for (const auto& c : spec.choices)
        if (c == *s) return {};
      std::string msg = "\"" + *s + "\" is not one of";
      for (const auto& c : spec.choices) msg += " " + c;
      return msg;
    }
    case ParamType::IntList:
    case ParamType::FloatList: {
      auto* l = std::get_if<std::vector<double>>(&v);
      if (!l) return type_error(spec, v);
      if (spec.length && l->size() != spec.length && !(spec.empty_ok && l->empty()))
        return "expected " + std::to_string(spec.length) + " numbers" + (spec.empty_ok ? " (or [])" : "") + ", got " +
               std::to_string(l->size());
      for (double d : *l) {
        if (spec.type == ParamType::IntList && !is_integral(d)) return "expected integers, got " + num(d);
        if (auto e = check_range(spec, d); !e.empty()) return e;
      }
      return {};
    }
  }
  return "unknown parameter type";
}

}  // namespace sumi
