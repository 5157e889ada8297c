#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.contact_sheet: tiles the images of a PartSet into one labelled sheet.
NodeDescriptor image_contact_sheet_node();
}  // namespace sumi
