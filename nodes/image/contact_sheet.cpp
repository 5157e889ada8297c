#include "nodes/image/contact_sheet.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"

namespace sumi {

NodeDescriptor image_contact_sheet_node() {
  NodeDescriptor d;
  d.id = "image.contact_sheet";
  d.doc = "Tiles a set of images (e.g. face parts) into one sheet, each cell labelled with its name";
  d.inputs = {PortSpec::in("images", parts_kind(), "named images to tile")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "the sheet (RGB)")};
  d.params = {ParamSpec::integer("cell", 128, "cell size in pixels (images are scaled to fit)").range(16, 2048),
              ParamSpec::integer("columns", 0, "cells per row; 0 = all in one row").range(0, 64),
              ParamSpec::boolean("labels", true, "write each image's name under it"),
              ParamSpec::integer("gap", 8, "space between cells in pixels").range(0, 256)};
  d.compute = [](NodeContext& ctx) {
    const PartSet& parts = parts_of(ctx.input("images"));
    if (parts.empty()) throw ctx.port_error("images", "nothing to tile: the set is empty");
    const int cell = static_cast<int>(ctx.param_int("cell"));
    const int gap = static_cast<int>(ctx.param_int("gap"));
    const bool labels = ctx.param_bool("labels");
    const int n = static_cast<int>(parts.size());
    const int cols = ctx.param_int("columns") > 0 ? std::min(n, static_cast<int>(ctx.param_int("columns"))) : n;
    const int rows = (n + cols - 1) / cols;
    const double font = std::max(0.35, cell / 320.0);
    int base = 0;
    const cv::Size text = cv::getTextSize("Ag", cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
    const int label_h = labels ? text.height + base + 8 : 0;
    const int cw = cell + gap, ch = cell + label_h + gap;
    const int width = gap + cols * cw, height = gap + rows * ch;
    if (static_cast<double>(width) * height > static_cast<double>(kMaxImageSide) * kMaxImageSide)
      throw ctx.param_error("cell", "the sheet would be too large; use smaller cells or more columns");
    cv::Mat sheet(height, width, CV_32FC3, cv::Scalar(1, 1, 1));
    for (int i = 0; i < n; ++i) {
      const Part& part = parts[static_cast<std::size_t>(i)];
      cv::Mat img = image_to_mat(part.image, ctx, "images");
      if (img.channels() == 1) cv::cvtColor(img, img, cv::COLOR_GRAY2RGB);
      else if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_RGBA2RGB);
      const double s = static_cast<double>(cell) / std::max(img.cols, img.rows);
      cv::Mat scaled;
      cv::resize(img, scaled, cv::Size(std::max(1, static_cast<int>(std::lround(img.cols * s))),
                                       std::max(1, static_cast<int>(std::lround(img.rows * s)))),
                 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      const int x = gap + (i % cols) * cw, y = gap + (i / cols) * ch;
      const int ox = x + (cell - scaled.cols) / 2, oy = y + (cell - scaled.rows) / 2;
      scaled.copyTo(sheet(cv::Rect(ox, oy, scaled.cols, scaled.rows)));
      cv::rectangle(sheet, cv::Rect(x - 1, y - 1, cell + 2, cell + 2), cv::Scalar(0.7, 0.7, 0.7), 1);
      if (labels) {
        cv::Size ts = cv::getTextSize(part.name, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
        cv::putText(sheet, part.name, cv::Point(x + std::max(0, (cell - ts.width) / 2), y + cell + 5 + text.height),
                    cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0.1, 0.1, 0.1), 1, cv::LINE_AA);
      }
    }
    ctx.set_output("image", mat_to_image(sheet, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
