// Errors raised by the engine and by nodes.
//
// Every error carries the context a user needs to find the problem: the file,
// the node id, and the port or parameter involved. `what()` renders them as one
// line, e.g.
//   graphs/x.sumi.json: node 'sketch' (sketch.rasterise): param 'size': 9000 is above the maximum 4096
//
// Thread safety: immutable after construction; safe to share.
#pragma once

#include <stdexcept>
#include <string>

namespace sumi {

struct ErrorContext {
  std::string file;   // graph, strokes, image or model file
  std::string node;   // node id in the graph
  std::string type;   // node type id
  std::string port;   // input or output port
  std::string param;  // parameter name
};

class Error : public std::runtime_error {
 public:
  Error(ErrorContext ctx, std::string message);
  explicit Error(std::string message) : Error(ErrorContext{}, std::move(message)) {}

  const ErrorContext& context() const noexcept { return ctx_; }
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorContext ctx_;
  std::string message_;
};

// Thrown when a run is cancelled through its CancelToken.
class Cancelled : public Error {
 public:
  Cancelled() : Error("run cancelled") {}
};

// Renders "file: node 'id' (type): port 'p': message" leaving out empty parts.
std::string format_error(const ErrorContext& ctx, const std::string& message);

}  // namespace sumi
