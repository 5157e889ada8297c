#include "nodes/image/blur.h"
#include "nodes/image/collect.h"
#include "nodes/image/contact_sheet.h"
#include "nodes/image/invert.h"
#include "nodes/image/resize.h"
#include "nodes/image/threshold.h"
#include "nodes/image/to_gray.h"
#include "nodes/nodes.h"

namespace sumi {

void register_image_nodes(Registry& r) {
  r.add(image_resize_node());
  r.add(image_to_gray_node());
  r.add(image_invert_node());
  r.add(image_threshold_node());
  r.add(image_blur_node());
  r.add(image_contact_sheet_node());
  r.add(image_collect_node());
}

}  // namespace sumi
