// Value <-> Python conversions (see bindings.h for the rules).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <ATen/ATen.h>

#include "bindings/bindings.h"
#include "engine/kind_registry.h"
#include "engine/strokes_file.h"
#include "engine/tensor.h"
#include "nodes/common/image_mat.h"
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

}  // namespace

py::object to_python(const Value& v) {
  if (v.empty()) return py::none();
  if (is_registered_kind(v.kind())) return tensor_to_numpy(v);  // a plugin's kind: its raw floats
  switch (v.kind()) {
    case ValueKind::Image:
    case ValueKind::Mask:
    case ValueKind::Features:
    case ValueKind::Latent: return tensor_to_numpy(v);
    case ValueKind::Strokes: return json_module().attr("loads")(strokes_to_json(v.strokes()));
    case ValueKind::PartSet: {
      py::list parts;
      for (const Part& p : v.parts()) {
        py::dict d;
        d["name"] = p.name;
        d["window"] = py::make_tuple(p.window.x, p.window.y, p.window.size);
        d["image"] = to_python(p.image);
        parts.append(d);
      }
      return std::move(parts);
    }
    case ValueKind::Scalar: return py::float_(v.scalar());
    case ValueKind::Int: return py::int_(v.integer());
    case ValueKind::Bool: return py::bool_(v.boolean());
    case ValueKind::String: return py::str(v.string());
    case ValueKind::Frame: {
      const FaceFrame& f = v.frame();
      py::dict d, parts;
      d["canonical"] = f.canonical;
      d["size"] = py::make_tuple(f.width, f.height);
      d["matrix"] = py::make_tuple(py::make_tuple(f.matrix[0], f.matrix[1], f.matrix[2]),
                                   py::make_tuple(f.matrix[3], f.matrix[4], f.matrix[5]));
      d["scale"] = f.scale();
      d["rotation_deg"] = f.rotation_deg();
      d["located"] = f.located;
      for (const FaceBox& b : f.parts) parts[py::str(b.name)] = py::make_tuple(b.cx, b.cy, b.w, b.h);
      d["parts"] = parts;
      return std::move(d);
    }
  }
  return py::none();
}

// A registered (plugin) kind from an array or torch tensor: raw floats, any shape, as given.
Value registered_kind_from_python(const py::handle& obj, ValueKind kind, const std::string& device) {
  py::array arr = is_torch_tensor(obj) ? py::array(obj.attr("detach")().attr("cpu")().attr("float")().attr("numpy")())
                                       : py::array::ensure(obj);
  if (!arr) throw Error("expected a NumPy array or torch tensor for a " + std::string(kind_name(kind)));
  at::Tensor t = raw_float_tensor(arr);
  if (device != "cpu") t = t.to(c10::Device(device));
  return make_tensor_value(kind, t);
}

Value from_python(const py::handle& obj, ValueKind kind, const std::string& device) {
  try {
    if (is_registered_kind(kind)) return registered_kind_from_python(obj, kind, device);
    switch (kind) {
      case ValueKind::Image:
      case ValueKind::Mask:
      case ValueKind::Features:
      case ValueKind::Latent: {
        const bool is_path = py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__");
        if (is_path && (kind == ValueKind::Latent || kind == ValueKind::Features))
          throw Error("give an array, not a path, for a " + std::string(kind_name(kind)));
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
        at::Tensor t;
        if (kind == ValueKind::Latent || kind == ValueKind::Features) {  // raw floats, no 0..255 scaling
          t = raw_float_tensor(arr);
          if (kind == ValueKind::Latent && t.dim() == 1) t = t.unsqueeze(0);
          if (kind == ValueKind::Features && t.dim() == 3) t = t.unsqueeze(0);  // C x H x W
        } else {
          t = array_to_image_tensor(arr, channels_first, kind);
        }
        if (device != "cpu") t = t.to(c10::Device(device));
        return make_tensor_value(kind, t);
      }
      case ValueKind::Strokes: return Value::make_strokes(strokes_from_python(obj));
      case ValueKind::PartSet: {
        PartSet parts;
        for (const py::handle& item : obj) {
          py::dict d = py::reinterpret_borrow<py::dict>(item);
          auto w = d["window"].cast<std::vector<int>>();
          if (w.size() != 3) throw Error("a part's window is (x, y, size)");
          parts.push_back({d["name"].cast<std::string>(), Window{w[0], w[1], w[2]}, from_python(d["image"], ValueKind::Image, device)});
        }
        return Value::make_parts(std::move(parts));
      }
      case ValueKind::Scalar: return Value::make_scalar(obj.cast<double>());
      case ValueKind::Int: return Value::make_int(obj.cast<std::int64_t>());
      case ValueKind::Bool: return Value::make_bool(obj.cast<bool>());
      case ValueKind::String: return Value::make_string(obj.cast<std::string>());
      case ValueKind::Frame: {  // the dict to_python gives (scale and rotation_deg are derived, ignored)
        py::dict d = py::reinterpret_borrow<py::dict>(obj);
        FaceFrame f;
        f.canonical = d["canonical"].cast<int>();
        auto size = d["size"].cast<std::vector<int>>();
        if (size.size() != 2) throw Error("a Frame's size is (width, height)");
        f.width = size[0];
        f.height = size[1];
        auto rows = d["matrix"].cast<std::vector<std::vector<double>>>();
        if (rows.size() != 2 || rows[0].size() != 3 || rows[1].size() != 3) throw Error("a Frame's matrix is 2 x 3");
        f.matrix = {rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2]};
        f.located = d.contains("located") ? d["located"].cast<bool>() : true;
        if (d.contains("parts"))
          for (auto [k, b] : py::reinterpret_borrow<py::dict>(d["parts"])) {
            auto box = b.cast<std::vector<double>>();
            if (box.size() != 4) throw Error("a Frame part is (cx, cy, w, h)");
            f.parts.push_back({k.cast<std::string>(), box[0], box[1], box[2], box[3]});
          }
        return Value::make_frame(std::move(f));
      }
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
    return d;
  }, py::arg("name"), "A kind's name, doc, editor colour and origin (built-in, python, or a plugin file).");
  m.def("register_kind", [](const std::string& name, const std::string& doc, const std::string& colour) {
    return std::string(kind_name(register_tensor_kind({name, doc, colour, "python"})));
  }, py::arg("name"), py::arg("doc") = "", py::arg("colour") = "",
     "Registers a tensor value kind (its values are float arrays of any shape) for node ports, e.g. "
     "sumi.register_kind('DepthMap', 'per-pixel depth', '#4f8f6b'); a name already registered from the same "
     "origin is returned as is. Returns the name.");
}

}  // namespace sumi::py_bindings
