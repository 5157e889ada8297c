// face.warp: moves an image between a sketch's own frame and the models'
// canonical frame, with the frame face.locate found. "to_canonical" brings a
// drawing into the frame the models were trained in; "to_image" brings a
// portrait made there back to where the person drew (paper colour outside),
// so a head drawn small in a corner gets its portrait in that corner.
#pragma once

#include "engine/descriptor.h"

namespace sumi {

NodeDescriptor face_warp_node();

}  // namespace sumi
