// Internal: the storage behind a Value. Included by value.cpp and tensor.cpp only.
#pragma once

#include <variant>

#include <nlohmann/json.hpp>

#include "engine/value.h"

namespace sumi {

struct Value::Payload {
  using TensorPtr = std::shared_ptr<const at::Tensor>;
  using RecordPtr = std::shared_ptr<const nlohmann::json>;
  using ObjectPtr = std::shared_ptr<const void>;  // an object kind's object (its type: the kind's hooks)
  ValueKind kind;
  std::uint64_t hash = 0;
  std::size_t bytes = 0;
  std::variant<double, std::int64_t, bool, std::string, TensorPtr, RecordPtr, ObjectPtr> data;
};

}  // namespace sumi
