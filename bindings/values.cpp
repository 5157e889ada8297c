// Value <-> Python conversions (see bindings.h for the rules).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "bindings/bindings.h"
#include "engine/kind_registry.h"
#include "engine/tensor.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/common/strokes_file.h"
#include "nodes/io/load_image.h"

namespace sumi::py_bindings {
namespace {

py::object json_module() { return py::module_::import("json"); }

// A read-only ndarray over the value's tensor; the capsule keeps the value alive.
py::object tensor_to_numpy(const Value& v) {
  at::Tensor t = v.tensor();
  Value keep = v;
  if (!t.is_cpu()) {  // GPU: copy to host; the copy owns the memory
    t = t.cpu().contiguous();
    keep = make_tensor_value(v.kind(), t);
  }
  const at::Tensor& held = keep.tensor();
  std::vector<py::ssize_t> shape(held.sizes().begin(), held.sizes().end());
  std::vector<py::ssize_t> strides;
  for (auto s : held.strides()) strides.push_back(static_cast<py::ssize_t>(s * sizeof(float)));
  auto* owner = new Value(keep);
  py::capsule base(owner, [](void* p) { delete static_cast<Value*>(p); });
  py::array arr(py::dtype::of<float>(), shape, strides, held.data_ptr<float>(), base);
  py::detail::array_proxy(arr.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return std::move(arr);
}

bool is_torch_tensor(const py::handle& obj) {
  py::object type = py::type::of(obj);
  return py::str(type.attr("__module__")).cast<std::string>().rfind("torch", 0) == 0 && py::hasattr(obj, "detach");
}

// Any ndarray -> a float tensor of the same shape, values as they are (a copy).
at::Tensor raw_float_tensor(const py::array& arr) {
  py::array_t<float, py::array::c_style | py::array::forcecast> f(arr);
  std::vector<std::int64_t> shape(f.shape(), f.shape() + f.ndim());
  return at::from_blob(const_cast<float*>(f.data()), shape, at::kFloat).clone();
}

// ndarray (H x W, H x W x C, or N x C x H x W; float or uint8) -> N x C x H x W float tensor.
at::Tensor array_to_image_tensor(py::array arr, bool channels_first_3d, ValueKind kind) {
  const bool u8 = arr.dtype().is(py::dtype::of<std::uint8_t>());
  py::array_t<float, py::array::c_style | py::array::forcecast> f(arr);
  std::vector<std::int64_t> shape(f.shape(), f.shape() + f.ndim());
  at::Tensor t = at::from_blob(const_cast<float*>(f.data()), shape, at::kFloat).clone();
  if (u8) t = t / 255.0f;
  if (t.dim() == 2) t = t.unsqueeze(0).unsqueeze(0);
  else if (t.dim() == 3) t = (channels_first_3d ? t : t.permute({2, 0, 1})).unsqueeze(0);
  else if (t.dim() != 4)
    throw Error("an " + std::string(kind_name(kind)) + " array must be H x W, H x W x C or N x C x H x W, got " +
                std::to_string(f.ndim()) + " dimensions");
  return t.contiguous();
}

Strokes strokes_from_python(const py::handle& obj) {
  if (py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__"))
    return load_strokes_file(py::str(py::module_::import("os").attr("fspath")(obj)).cast<std::string>());
  py::object doc = py::reinterpret_borrow<py::object>(obj);
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    py::dict d;
    d["format"] = "sumi.strokes";
    d["version"] = 1;
    d["canvas"] = py::make_tuple(512, 512);
    d["strokes"] = obj;
    doc = d;
  }
  if (!py::isinstance<py::dict>(doc)) throw Error("strokes must be a dict, a list of strokes or a strokes file path");
  return parse_strokes(json_module().attr("dumps")(doc).cast<std::string>(), "<python strokes>");
}

// A record's document as Python: objects -> dicts, arrays -> tuples (values are immutable).
py::object json_to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (const auto& [k, item] : j.items()) d[py::str(k)] = json_to_python(item);
      return std::move(d);
    }
    case nlohmann::json::value_t::array: {
      py::tuple t(j.size());
      for (std::size_t i = 0; i < j.size(); ++i) t[i] = json_to_python(j[i]);
      return std::move(t);
    }
    case nlohmann::json::value_t::string: return py::str(j.get<std::string>());
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    default: return py::none();
  }
}

// A dict (of dicts, lists, tuples, str, numbers, bools, None; NumPy scalars too) as a record's document.
nlohmann::json json_from_python(const py::handle& obj, ValueKind kind, int depth = 0) {
  if (depth > 64) throw Error("a " + std::string(kind_name(kind)) + " is nested more than 64 deep");
  if (obj.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj)) return obj.cast<std::int64_t>();
  if (py::isinstance<py::float_>(obj)) return obj.cast<double>();
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  if (py::isinstance<py::dict>(obj)) {
    nlohmann::json out = nlohmann::json::object();
    for (auto [k, item] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!py::isinstance<py::str>(k)) throw Error("a " + std::string(kind_name(kind)) + "'s keys must be strings");
      out[k.cast<std::string>()] = json_from_python(item, kind, depth + 1);
    }
    return out;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    nlohmann::json out = nlohmann::json::array();
    for (const py::handle& item : obj) out.push_back(json_from_python(item, kind, depth + 1));
    return out;
  }
  if (py::hasattr(obj, "dtype") && py::hasattr(obj, "tolist"))  // NumPy scalars and arrays
    return json_from_python(obj.attr("tolist")(), kind, depth + 1);
  throw Error("a " + std::string(kind_name(kind)) + " holds dicts, lists, strings, numbers and booleans, not a Python " +
              py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
}

}  // namespace

py::object to_python(const Value& v) {
  if (v.empty()) return py::none();
  if (is_record_kind(v.kind())) return json_to_python(v.record());
  if (v.kind() == strokes_kind()) return json_module().attr("loads")(strokes_to_json(strokes_of(v)));
  if (v.kind() == parts_kind()) {
    py::list parts;
    for (const Part& p : parts_of(v)) {
      py::dict d;
      d["name"] = p.name;
      d["window"] = py::make_tuple(p.window.x, p.window.y, p.window.size);
      d["image"] = to_python(p.image);
      parts.append(d);
    }
    return std::move(parts);
  }
  if (const ObjectKindHooks* hooks = object_kind_hooks(v.kind())) {  // a plugin's object kind: through its JSON
    if (!hooks->to_json) throw Error("a " + std::string(kind_name(v.kind())) + " value has no Python form (its kind gives no JSON)");
    return json_to_python(hooks->to_json(v.object_data()));
  }
  if (is_registered_kind(v.kind())) return tensor_to_numpy(v);  // a registered tensor kind: its raw floats
  switch (v.kind()) {
    case ValueKind::Image:
    case ValueKind::Mask: return tensor_to_numpy(v);
    case ValueKind::Scalar: return py::float_(v.scalar());
    case ValueKind::Int: return py::int_(v.integer());
    case ValueKind::Bool: return py::bool_(v.boolean());
    case ValueKind::String: return py::str(v.string());
  }
  return py::none();
}

// A registered tensor kind (Latent, Features, a plugin's) from an array or torch tensor: raw floats, as
// given, except that an array one dimension short of the kind's smallest rank gets a batch dimension of 1
// (a D-vector as a 1 x D Latent, C x H x W Features as 1 x C x H x W).
Value registered_kind_from_python(const py::handle& obj, ValueKind kind, const std::string& device) {
  if (py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__"))
    throw Error("give an array, not a path, for a " + std::string(kind_name(kind)));
  py::array arr = is_torch_tensor(obj) ? py::array(obj.attr("detach")().attr("cpu")().attr("float")().attr("numpy")())
                                       : py::array::ensure(obj);
  if (!arr) throw Error("expected a NumPy array or torch tensor for a " + std::string(kind_name(kind)));
  at::Tensor t = raw_float_tensor(arr);
  if (const TensorKindShape* shape = tensor_kind_shape(kind); shape && !shape->ranks.empty()) {
    const int smallest = *std::min_element(shape->ranks.begin(), shape->ranks.end());
    if (t.dim() == smallest - 1) t = t.unsqueeze(0);
  }
  if (device != "cpu") t = t.to(c10::Device(device));
  return make_tensor_value(kind, t);
}

Value from_python(const py::handle& obj, ValueKind kind, const std::string& device) {
  try {
    if (is_record_kind(kind)) return Value::make_record(kind, json_from_python(obj, kind));
    if (kind == strokes_kind()) return make_strokes(strokes_from_python(obj));
    if (kind == parts_kind()) {
      PartSet parts;
      for (const py::handle& item : obj) {
        py::dict d = py::reinterpret_borrow<py::dict>(item);
        auto w = d["window"].cast<std::vector<int>>();
        if (w.size() != 3) throw Error("a part's window is (x, y, size)");
        parts.push_back({d["name"].cast<std::string>(), Window{w[0], w[1], w[2]}, from_python(d["image"], ValueKind::Image, device)});
      }
      return make_parts(std::move(parts));
    }
    if (const ObjectKindHooks* hooks = object_kind_hooks(kind)) {  // a plugin's object kind: from its JSON
      if (!hooks->from_json) throw Error("a " + std::string(kind_name(kind)) + " cannot be made from Python (its kind reads no JSON)");
      Value made = hooks->from_json(json_from_python(obj, kind));
      if (made.kind() != kind)
        throw Error("the " + std::string(kind_name(kind)) + " kind's from_json made a " + std::string(kind_name(made.kind())));
      return made;
    }
    if (is_registered_kind(kind)) return registered_kind_from_python(obj, kind, device);
    switch (kind) {
      case ValueKind::Image:
      case ValueKind::Mask: {
        const bool is_path = py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__");
        if (is_path) {  // an image file, read as the engine's io.load_image would
          const std::string path = py::module_::import("os").attr("fspath")(obj).cast<std::string>();
          const cv::Mat m = read_image_file(path, kind == ValueKind::Mask ? "gray" : "rgb");
          return kind == ValueKind::Mask ? mat_to_mask(m, device) : mat_to_image(m, device);
        }
        py::array arr;
        bool channels_first = false;  // a 3-D torch tensor is C x H x W; a 3-D array is H x W x C
        if (is_torch_tensor(obj)) {   // copied through NumPy (documented)
          arr = obj.attr("detach")().attr("cpu")().attr("float")().attr("numpy")();
          channels_first = true;
        } else {
          arr = py::array::ensure(obj);
          if (!arr) throw Error("expected a NumPy array or torch tensor for a " + std::string(kind_name(kind)));
        }
        at::Tensor t = array_to_image_tensor(arr, channels_first, kind);
        if (device != "cpu") t = t.to(c10::Device(device));
        return make_tensor_value(kind, t);
      }
      case ValueKind::Scalar: return Value::make_scalar(obj.cast<double>());
      case ValueKind::Int: return Value::make_int(obj.cast<std::int64_t>());
      case ValueKind::Bool: return Value::make_bool(obj.cast<bool>());
      case ValueKind::String: return Value::make_string(obj.cast<std::string>());
    }
  } catch (const py::cast_error&) {
    throw Error("cannot convert a Python " + py::str(py::type::of(obj).attr("__name__")).cast<std::string>() + " to " +
                std::string(kind_name(kind)));
  }
  throw Error("unsupported kind");
}

ParamValue param_from_python(const py::handle& obj) {
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj)) return obj.cast<std::int64_t>();
  if (py::isinstance<py::float_>(obj)) return obj.cast<double>();
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  if (py::hasattr(obj, "__fspath__")) return py::str(py::module_::import("os").attr("fspath")(obj)).cast<std::string>();
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    std::vector<double> out;
    for (const py::handle& e : obj) {
      if (!py::isinstance<py::int_>(e) && !py::isinstance<py::float_>(e)) throw Error("list parameters hold numbers only");
      out.push_back(e.cast<double>());
    }
    return out;
  }
  // NumPy scalars and the like
  if (py::hasattr(obj, "__float__") && py::hasattr(obj, "dtype")) {
    auto kind = py::str(obj.attr("dtype").attr("kind")).cast<std::string>();
    if (kind == "i" || kind == "u") return obj.cast<std::int64_t>();
    return obj.cast<double>();
  }
  throw Error("unsupported parameter value of type " + py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
}

py::object param_to_python(const ParamValue& v) {
  return std::visit([](const auto& x) -> py::object { return py::cast(x); }, v);
}

void bind_values(py::module_& m) {
  m.def("kinds", [] {
    std::vector<std::string> out;
    for (ValueKind k : all_kinds()) out.emplace_back(kind_name(k));
    return out;
  }, "The value kinds that flow between nodes: the built-in ones, then those plugins registered.");
  m.def("kind_info", [](const std::string& name) {
    ValueKind k;
    if (!parse_kind(name, k)) throw Error("unknown value kind '" + name + "' (sumi.kinds() lists them)");
    const KindInfo& i = kind_info(k);
    py::dict d;
    d["name"] = i.name;
    d["doc"] = i.doc;
    d["colour"] = i.colour;
    d["origin"] = i.origin;
    d["record"] = is_record_kind(k);
    d["object"] = is_object_kind(k);  // a C++ library's own type (Strokes, PartSet): converted by its JSON
    return d;
  }, py::arg("name"), "A kind's name, doc, editor colour and origin (built-in, python, or a plugin file).");
  m.def("register_kind", [](const std::string& name, const std::string& doc, const std::string& colour, bool record) {
    const KindInfo info{name, doc, colour, "python"};
    return std::string(kind_name(record ? register_record_kind(info) : register_tensor_kind(info)));
  }, py::arg("name"), py::arg("doc") = "", py::arg("colour") = "", py::arg("record") = false,
     "Registers a value kind for node ports: a tensor kind (its values are float arrays of any shape), e.g. "
     "sumi.register_kind('DepthMap', 'per-pixel depth', '#4f8f6b'), or with record=True a record kind (its values "
     "are dicts of JSON data; arrays come back as tuples). A name already registered from the same origin is "
     "returned as is. Returns the name.");
}

}  // namespace sumi::py_bindings
