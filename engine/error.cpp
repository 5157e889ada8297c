#include "engine/error.h"

namespace sumi {

std::string format_error(const ErrorContext& ctx, const std::string& message) {
  std::string out;
  auto sep = [&] {
    if (!out.empty()) out += ": ";
  };
  if (!ctx.file.empty()) out += ctx.file;
  if (!ctx.node.empty()) {
    sep();
    out += "node '" + ctx.node + "'";
    if (!ctx.type.empty()) out += " (" + ctx.type + ")";
  } else if (!ctx.type.empty()) {
    sep();
    out += "node type '" + ctx.type + "'";
  }
  if (!ctx.port.empty()) {
    sep();
    out += "port '" + ctx.port + "'";
  }
  if (!ctx.param.empty()) {
    sep();
    out += "param '" + ctx.param + "'";
  }
  sep();
  out += message;
  return out;
}

Error::Error(ErrorContext ctx, std::string message)
    : std::runtime_error(format_error(ctx, message)), ctx_(std::move(ctx)), message_(std::move(message)) {}

}  // namespace sumi
