// Value kinds beyond the engine's generic ones, added by node libraries and
// plugins the way node types are, with their own name, so that ports of that
// kind connect only to each other and the graph checks name it. Three storages:
//
// * A tensor kind: values are float tensors of any shape, made with
//   make_tensor_value(kind, t) and read with Value::tensor(). Python converts
//   them to and from NumPy arrays (raw floats).
//
//     static const sumi::ValueKind kDepth = sumi::register_tensor_kind(
//         {"DepthMap", "per-pixel depth, N x 1 x H x W, any range", "#4f8f6b"},
//         {{4}, "N x 1 x H x W"});  // optional: the ranks it takes
//     d.outputs = {{"depth", kDepth, "the depth map"}};
//
//   The latent library's Latent and the synth library's Features are tensor
//   kinds (nodes/latent/latent_kind.h, nodes/synth/features_kind.h).
//
// * A record kind: values are JSON objects, made with
//   Value::make_record(kind, doc) and read with Value::record(); the kind may
//   check and canonicalise each document (`normalise`, which names what is
//   wrong) and say how a value is described. Python converts them to and from
//   dicts (JSON arrays become tuples); the editor's run reply carries the
//   document. The face library's Frame is one (nodes/face/face_frame.h).
//
//     static const sumi::ValueKind kPalette = sumi::register_record_kind(
//         {"Palette", "named colours", "#c08040"}, {check_palette, nullptr});
//
// * An object kind: values hold one immutable C++ object of the library's own
//   type, made with Value::make_object(kind, object, content_hash, bytes) and
//   read with value.object<T>(kind). The library hashes the content (equal
//   content must give equal hashes) and may say how values are described and
//   how they become JSON and back (Python then converts them to and from
//   dicts). The node libraries' Strokes and PartSet are
//   object kinds (nodes/common/strokes.h, nodes/common/part_set.h).
//
//     static const sumi::ValueKind kMesh = sumi::register_object_kind(
//         {"Mesh", "a triangle mesh", "#9070c0"}, sumi::object_kind_hooks<Mesh>(describe_mesh));
//
// The editor colours links with `colour` (GET /api/nodes "kinds"). Every kind, built-in or registered, has a
// KindInfo (name, doc, colour, origin): `sumi nodes --json` "kinds",
// sumi.kinds() / sumi.kind_info(), the editor's link colours.
//
// Kinds are process-wide (a name means one kind everywhere in the process).
// Registering a name again from the same origin returns the kind it has
// (a plugin loaded into a second registry); from another origin, or a
// built-in name, is an error naming both. Names: a letter, then letters,
// digits or '_', at most 40. At most kMaxRegisteredKinds kinds.
//
// Thread safety: registration is serialised; lookups (kind_name, parse_kind,
// kind_info) are lock-free and safe from any thread at any time.
#pragma once

#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/value.h"

namespace sumi {

struct KindInfo {
  std::string name;
  std::string doc;     // one line: what the values hold, their shape
  std::string colour;  // "#rrggbb" for the editor's links; empty = the editor's default
  std::string origin;  // "built-in", "python", or the plugin file that registered it
};

// The shapes a tensor kind takes, checked by make_tensor_value. Empty ranks:
// any shape of at least one dimension.
struct TensorKindShape {
  std::vector<int> ranks;  // the numbers of dimensions it takes, e.g. {2, 3}
  std::string doc;         // how errors name them, e.g. "N x D or N x L x D"
};

// How a record kind checks and shows its documents. Both may be empty.
struct RecordKindHooks {
  // Checks a document and returns its canonical form (the value's hash is of
  // that form, so equal content gives equal hashes); throws sumi::Error saying
  // what is wrong. Empty: any JSON object, as given.
  std::function<nlohmann::json(const nlohmann::json&)> normalise;
  // The text after the kind's name in Value::describe(). Empty: the document, shortened.
  std::function<std::string(const nlohmann::json&)> describe;
};

// How an object kind's values are described and carried as JSON. `type` is the
// C++ type its values hold (checked by Value::make_object and object<T>);
// the functions get a pointer to that type. Each may be empty.
struct ObjectKindHooks {
  const std::type_info* type = nullptr;
  // The text after the kind's name in Value::describe(). Empty: nothing.
  std::function<std::string(const void*)> describe;
  // The value as a JSON document, and a value from one (throws sumi::Error
  // saying what is wrong). Python converts through them; without them the
  // kind does not cross into Python.
  std::function<nlohmann::json(const void*)> to_json;
  std::function<Value(const nlohmann::json&)> from_json;
};

// ObjectKindHooks for values of type T, with typed functions (include <nlohmann/json.hpp> where it is called).
template <typename T>
ObjectKindHooks object_kind_hooks(std::function<std::string(const T&)> describe = {},
                                  std::function<nlohmann::json(const T&)> to_json = {},
                                  std::function<Value(const nlohmann::json&)> from_json = {}) {
  ObjectKindHooks h;
  h.type = &typeid(T);
  if (describe) h.describe = [describe](const void* p) { return describe(*static_cast<const T*>(p)); };
  if (to_json) h.to_json = [to_json](const void* p) { return to_json(*static_cast<const T*>(p)); };
  h.from_json = std::move(from_json);
  return h;
}

inline constexpr int kFirstRegisteredKind = 32;  // ids below are the built-in ValueKind values
inline constexpr int kMaxRegisteredKinds = 256 - kFirstRegisteredKind;

// Throws sumi::Error on a bad or taken name or colour. The origin is the
// plugin being loaded (KindOriginScope), else `info.origin`, else "python"
// when called from the Python module, else "built-in".
ValueKind register_tensor_kind(KindInfo info, TensorKindShape shape = {});
// The same rules for a record kind.
ValueKind register_record_kind(KindInfo info, RecordKindHooks hooks = {});
// And for an object kind; `hooks.type` is required. Registering the name again
// from the same origin needs the same type.
ValueKind register_object_kind(KindInfo info, ObjectKindHooks hooks);

// Every kind has one; an id nothing registered (a corrupt value) is named "Kind#N".
const KindInfo& kind_info(ValueKind kind);
// The built-in kinds, then the registered ones in registration order.
std::vector<ValueKind> all_kinds();
bool is_registered_kind(ValueKind kind);
// A registered record kind's hooks; nullptr for any other kind.
const RecordKindHooks* record_kind_hooks(ValueKind kind);
bool is_record_kind(ValueKind kind);
// A registered tensor kind's shapes; nullptr for any other kind.
const TensorKindShape* tensor_kind_shape(ValueKind kind);
bool is_tensor_kind(ValueKind kind);  // Image, Mask or a registered tensor kind
// A registered object kind's hooks; nullptr for any other kind.
const ObjectKindHooks* object_kind_hooks(ValueKind kind);
bool is_object_kind(ValueKind kind);

// While alive, kinds registered on this thread get `origin` (the plugin
// loader sets it around a plugin's register function).
class KindOriginScope {
 public:
  explicit KindOriginScope(std::string origin);
  ~KindOriginScope();
  KindOriginScope(const KindOriginScope&) = delete;
  KindOriginScope& operator=(const KindOriginScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace sumi
