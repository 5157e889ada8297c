#include "nodes/synth/features_kind.h"

#include "engine/kind_registry.h"
#include "engine/tensor.h"

namespace sumi {

ValueKind features_kind() {
  static const ValueKind kind = [] {
    const KindOriginScope origin("built-in");  // the synth library's, even if first used while a plugin loads
    return register_tensor_kind(
        {"Features", "float tensor N x C x H x W, any C and range: a network's feature maps", "#4fa39a", "built-in"},
        {{4}, "N x C x H x W"});
  }();
  return kind;
}

Value make_features(const at::Tensor& t) { return make_tensor_value(features_kind(), t); }

}  // namespace sumi
