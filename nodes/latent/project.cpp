#include "nodes/latent/project.h"

#include <ATen/ATen.h>

#include "engine/tensor.h"
#include "nodes/latent/common_params.h"
#include "nodes/latent/knn.h"
#include "nodes/latent/latent_kind.h"

namespace sumi {

NodeDescriptor latent_project_node() {
  NodeDescriptor d;
  d.id = "latent.project";
  d.doc = "Projects a part latent onto the manifold of training parts (K nearest + locally-linear weights) and blends";
  d.inputs = {PortSpec::in("latent", latent_kind(), "1 x D latent of the drawn part")};
  d.outputs = {PortSpec::out("latent", latent_kind(), "blend * projected + (1 - blend) * input"),
               PortSpec::out("projected", latent_kind(), "sum of w_i * neighbour_i"),
               PortSpec::out("neighbours", latent_kind(), "1 x K bank rows of the neighbours, nearest first"),
               PortSpec::out("weights", latent_kind(), "1 x K weights (sum 1), in neighbour order")};
  d.params = {part_param(), manifest_param(),
              ParamSpec::path("bank", "", "latent bank (.npy, N x D) replacing the manifest's").reads(),
              ParamSpec::integer("k", 10, "neighbours").range(1, 256),
              ParamSpec::number("blend", 1.0, "how far to pull the drawing onto the manifold (DeepFaceDrawing's w_c)").range(0, 1).live_control(),
              ParamSpec::number("regularisation", 1e-3, "ridge on the local Gram matrix, times its trace").range(0, 10),
              ParamSpec::choice("search", {"exact", "hnsw"}, "exact", "exact brute force, or an approximate HNSW index for large banks"),
              ParamSpec::integer("ef", kDefaultHnswEf, "HNSW search breadth: higher finds more true neighbours, more slowly").range(1, 4096)};
  d.compute = [](NodeContext& ctx) {
    std::string bank_path = ctx.param_string("bank");
    if (bank_path.empty()) bank_path = load_part_models(ctx.models(), ctx.param_string("manifest"))->part(ctx.param_string("part")).bank;
    if (bank_path.empty()) throw ctx.param_error("bank", "no latent bank: the manifest names none");
    std::shared_ptr<const LatentBank> bank;
    try {
      bank = load_bank(ctx.models(), bank_path);
    } catch (const Error& e) {
      throw Error(ErrorContext{bank_path, ctx.node_id(), ctx.type(), {}, {}}, e.message());
    }
    const at::Tensor input = ctx.input("latent").tensor().to(at::kCPU).contiguous();
    if (input.size(0) != 1) throw ctx.port_error("latent", "one latent at a time (1 x D)");
    if (input.dim() != 2)
      throw ctx.port_error("latent", "expects a part latent (1 x D), got " + ctx.input("latent").describe() +
                                         " (a W+ code is not a part latent)");
    if (input.size(1) != bank->rows.cols())
      throw ctx.port_error("latent", "has " + std::to_string(input.size(1)) + " dimensions but the bank has " +
                                         std::to_string(bank->rows.cols()) + " (" + bank_path + ")");
    const Eigen::Map<const Eigen::VectorXf> f(input.data_ptr<float>(), input.size(1));
    const Search search = ctx.param_string("search") == "hnsw" ? Search::Hnsw : Search::Exact;
    const Neighbours nn = nearest(*bank, f, static_cast<int>(ctx.param_int("k")), search, static_cast<int>(ctx.param_int("ef")),
                                     &ctx.cancel_token());
    const Eigen::VectorXf w = lle_weights(*bank, nn.ids, f, ctx.param_float("regularisation"));
    Eigen::VectorXf projected = Eigen::VectorXf::Zero(f.size());
    for (std::size_t i = 0; i < nn.ids.size(); ++i) projected += w[static_cast<Eigen::Index>(i)] * bank->rows.row(nn.ids[i]).transpose();
    const float blend = static_cast<float>(ctx.param_float("blend"));
    const Eigen::VectorXf out = blend * projected + (1.0f - blend) * f;
    const auto k = static_cast<std::int64_t>(nn.ids.size());
    auto to_tensor = [&](const float* data, std::int64_t n) {
      return at::from_blob(const_cast<float*>(data), {1, n}, at::kFloat).clone().to(c10::Device(ctx.device()));
    };
    std::vector<float> ids(nn.ids.begin(), nn.ids.end());
    ctx.set_output("latent", make_latent(to_tensor(out.data(), out.size())));
    ctx.set_output("projected", make_latent(to_tensor(projected.data(), projected.size())));
    ctx.set_output("neighbours", make_latent(to_tensor(ids.data(), k)));
    ctx.set_output("weights", make_latent(to_tensor(w.data(), k)));
  };
  return d;
}

}  // namespace sumi
