#include "engine/descriptor.h"

#include "engine/progress.h"

namespace sumi {
namespace {

template <typename T>
int index_of(const std::vector<T>& v, std::string_view name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace

const PortSpec* NodeDescriptor::input(std::string_view name) const {
  int i = input_index(name);
  return i < 0 ? nullptr : &inputs[static_cast<std::size_t>(i)];
}
const PortSpec* NodeDescriptor::output(std::string_view name) const {
  int i = output_index(name);
  return i < 0 ? nullptr : &outputs[static_cast<std::size_t>(i)];
}
const ParamSpec* NodeDescriptor::param(std::string_view name) const {
  int i = param_index(name);
  return i < 0 ? nullptr : &params[static_cast<std::size_t>(i)];
}
int NodeDescriptor::input_index(std::string_view name) const { return index_of(inputs, name); }
int NodeDescriptor::output_index(std::string_view name) const { return index_of(outputs, name); }
int NodeDescriptor::param_index(std::string_view name) const { return index_of(params, name); }

std::string_view progress_kind_name(ProgressEvent::Kind kind) {
  switch (kind) {
    case ProgressEvent::Kind::Started: return "started";
    case ProgressEvent::Kind::Finished: return "finished";
    case ProgressEvent::Kind::Cached: return "cached";
    case ProgressEvent::Kind::Failed: return "failed";
    case ProgressEvent::Kind::Progress: return "progress";
  }
  return "?";
}

}  // namespace sumi
