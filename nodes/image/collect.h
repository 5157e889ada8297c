#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.collect: gathers up to eight images into one named set (a PartSet,
// each part spanning its whole image), e.g. to tile them with
// image.contact_sheet or to write them all from the CLI.
NodeDescriptor image_collect_node();
}  // namespace sumi
