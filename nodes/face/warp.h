// face.warp: moves an image between a sketch's own frame and the models'
// canonical frame, with the frame face.locate found. "to_canonical" brings a
// drawing into the frame the models were trained in; "to_image" brings a
// portrait made there back to where the person drew (paper colour outside),
// so a head drawn small in a corner gets its portrait in that corner.
#pragma once

#include <opencv2/core.hpp>

#include "engine/descriptor.h"
#include "engine/progress.h"

namespace sumi {

NodeDescriptor face_warp_node();

// The warp face.warp does: dst(p) = src(src_from_dst * p) with continuous
// pixel coordinates (pixel i covers [i, i + 1)), `fill` outside, area-scaled
// first when it shrinks by more than 1.5x; abandoned when `cancel` fires.
// face.locate's refiner look uses it so that it sees face.warp's pixels.
cv::Mat warp_face_image(const cv::Mat& src, const cv::Matx33d& src_from_dst, cv::Size size, double fill,
                        const CancelToken& cancel);

}  // namespace sumi
