#include "nodes/image/collect.h"

#include <algorithm>
#include <set>

#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"

namespace sumi {
namespace {

constexpr int kSlots = 12;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

NodeDescriptor image_collect_node() {
  NodeDescriptor d;
  d.id = "image.collect";
  d.doc = "Collects up to twelve images into a named set (for image.contact_sheet or writing them all); chain "
          "collects through 'images' for more";
  d.version = 2;  // 2: the 'images' input
  d.inputs.push_back(PortSpec::optional("images", parts_kind(), "a set from another image.collect, kept first"));
  for (int i = 1; i <= kSlots; ++i)
    d.inputs.push_back(
        PortSpec::optional("image_" + std::to_string(i), ValueKind::Image, "image number " + std::to_string(i)));
  d.outputs = {PortSpec::out("images", parts_kind(), "the input set's images, then the connected images in port order, named")};
  d.params = {
      ParamSpec::string("names", "", "comma-separated names for image_1, image_2, ...; missing ones are image_N")};
  d.compute = [](NodeContext& ctx) {
    std::vector<std::string> names;
    const std::string& list = ctx.param_string("names");
    if (!list.empty()) {
      std::size_t start = 0;
      while (true) {
        const std::size_t comma = list.find(',', start);
        names.push_back(trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (names.size() > static_cast<std::size_t>(kSlots))
      throw ctx.param_error("names", std::to_string(names.size()) + " names for " + std::to_string(kSlots) + " images");
    PartSet parts;
    std::set<std::string> seen;
    if (ctx.has_input("images")) {
      parts = parts_of(ctx.input("images"));
      for (const Part& p : parts) seen.insert(p.name);
    }
    for (int i = 1; i <= kSlots; ++i) {
      const std::string port = "image_" + std::to_string(i);
      if (!ctx.has_input(port)) continue;
      const std::size_t k = static_cast<std::size_t>(i - 1);
      std::string name = k < names.size() && !names[k].empty() ? names[k] : port;
      if (!seen.insert(name).second)
        throw ctx.param_error("names", "the name '" + name + "' is used twice (in this node or the 'images' set)");
      Value v = ctx.input(port);
      cv::Mat m = image_to_mat(v, ctx, port);
      if (m.empty()) throw ctx.port_error(port, "the image is empty");
      if (v.kind() != ValueKind::Image) v = mat_to_image(m, ctx.device(), &ctx.cancel_token());  // a Mask joins as a gray image
      parts.push_back({std::move(name), Window{0, 0, std::max(m.cols, m.rows)}, v});
    }
    if (parts.empty()) throw ctx.port_error("image_1", "nothing to collect: connect at least one image");
    ctx.set_output("images", make_parts(std::move(parts)));
  };
  return d;
}

}  // namespace sumi
