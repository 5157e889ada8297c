// face.locate: where the face is in a sketch of any size, at any stage of
// drawing - the frame (centre, scale, rotation) that maps the models'
// canonical frame onto the sketch, and the part boxes in canonical pixels -
// from a small trained network (models/locate, a TorchScript file named by
// its manifest). A (nearly) empty drawing gives the canonical frame and a
// warning on the run result.
#pragma once

#include <string>

#include "engine/descriptor.h"

namespace sumi {

NodeDescriptor face_locate_node();

// The shipped locator's manifest (models/locate/manifest.json).
std::string default_locate_manifest();

}  // namespace sumi
