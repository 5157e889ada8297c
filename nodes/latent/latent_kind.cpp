#include "nodes/latent/latent_kind.h"

#include "engine/kind_registry.h"
#include "engine/tensor.h"

namespace sumi {

ValueKind latent_kind() {
  static const ValueKind kind = [] {
    const KindOriginScope origin("built-in");  // the latent library's, even if first used while a plugin loads
    return register_tensor_kind(
        {"Latent", "float tensor N x D, or N x L x D (a W+ code: one D-vector per synthesis layer)", "#b05fc4", "built-in"},
        {{2, 3}, "N x D or N x L x D"});
  }();
  return kind;
}

Value make_latent(const at::Tensor& t) { return make_tensor_value(latent_kind(), t); }

}  // namespace sumi
