// ApiError: a request the editor server refuses, with its HTTP status; the
// routes turn it into {"error": message, ...extra}.
//
//   throw ApiError(404, "no session 'abc'");
//
// Thread safety: immutable.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace sumi::editor {

using Json = nlohmann::ordered_json;

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, Json extra = Json::object())
      : std::runtime_error(message), status_(status), extra_(std::move(extra)) {}
  int status() const { return status_; }
  const Json& extra() const { return extra_; }

 private:
  int status_;
  Json extra_;
};

}  // namespace sumi::editor
