// sketch.rasterise: strokes to a 1-channel sketch image (white paper, black
// lines), anti-aliased, with width and pressure, erase strokes applied in
// drawing order. Hint strokes are colour hints and are not drawn here.
#pragma once

#include <opencv2/core.hpp>

#include "engine/descriptor.h"
#include "engine/progress.h"
#include "nodes/common/strokes.h"

namespace sumi {

NodeDescriptor sketch_rasterise_node();

// Adds one stroke's coverage (0..1) into `coverage` (CV_32F) with max(),
// scaling canvas coordinates by (sx, sy) and widths by `width_scale`; returns
// the box of pixels it may have written (empty when the stroke is off the
// raster), so that callers can combine and clear only that box.
// Reused by nodes that draw strokes in colour. Checks `cancel` before every
// row of every segment (a wide stroke's segment can cover the whole raster).
cv::Rect stroke_coverage(const Stroke& stroke, float sx, float sy, float width_scale, bool antialias,
                         cv::Mat& coverage, const CancelToken& cancel);

// The raster for a `size` parameter: the canvas scaled so its longest side is
// `size` (aspect kept, at least 1 px); size <= 0 = the strokes' canvas size.
cv::Size raster_size(const Strokes& strokes, int size);

// Ink (0 = paper, 1 = black) of the line and erase strokes at out_w x out_h.
// Throws Cancelled soon after `cancel` is set.
cv::Mat rasterise_ink(const Strokes& strokes, int out_w, int out_h, float width_scale, bool antialias,
                      const CancelToken& cancel);

}  // namespace sumi
