// Internal: the storage behind a Value. Included by value.cpp and tensor.cpp only.
#pragma once

#include <variant>

#include "engine/value.h"

namespace sumi {

struct Value::Payload {
  using TensorPtr = std::shared_ptr<const at::Tensor>;
  ValueKind kind;
  std::uint64_t hash = 0;
  std::size_t bytes = 0;
  std::variant<Strokes, PartSet, double, std::int64_t, bool, std::string, TensorPtr, FaceFrame> data;
};

}  // namespace sumi
