#include "nodes/sketch/progressive.h"

#include <algorithm>
#include <cmath>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"
#include "nodes/common/part_set.h"
#include "nodes/common/random.h"

namespace sumi {
namespace {

constexpr std::size_t kParts = kDrawingParts.size();

// A part's window on the sketch, scaled from the reference canvas.
struct Box {
  double x0, y0, x1, y1;
  bool contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
  double dist2(double x, double y) const {
    const double cx = 0.5 * (x0 + x1) - x, cy = 0.5 * (y0 + y1) - y;
    return cx * cx + cy * cy;
  }
};

// The part a pixel belongs to: the window containing it whose centre is
// nearest (windows overlap), or the outline when none contains it.
int pixel_part(const std::array<Box, kParts>& boxes, int x, int y) {
  const double px = x + 0.5, py = y + 0.5;
  int best = 0;
  double best_d = 0;
  for (std::size_t p = 1; p < kParts; ++p) {
    const Box& b = boxes[p];
    if (!b.contains(px, py)) continue;
    const double dd = b.dist2(px, py);
    if (best == 0 || dd < best_d) best = static_cast<int>(p), best_d = dd;
  }
  return best;
}

std::string step_name(int i, int count) {
  std::string n = std::to_string(i);
  const std::size_t width = std::max<std::size_t>(2, std::to_string(count).size());
  return "step_" + std::string(width - std::min(width, n.size()), '0') + n;
}

}  // namespace

NodeDescriptor sketch_progressive_node() {
  NodeDescriptor d;
  d.id = "sketch.progressive";
  d.doc = "Simulated drawing process: cumulative partial sketches, part by part in a seeded random order";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "the finished sketch: white paper, dark lines")};
  d.outputs = {PortSpec::out("steps", parts_kind(),
                             "the partial sketches step_01, step_02, ...; the last is the whole sketch"),
               PortSpec::out("order", ValueKind::String, "the parts in drawing order, comma-separated")};
  d.params = {
      ParamSpec::integer("seed", 0, "random seed: the order of parts, of lines within a part, and where lines start")
          .range(0, 4294967295.0),
      ParamSpec::integer("steps", 0, "number of partial sketches, splitting the ink evenly; 0 = one per part with ink")
          .range(0, 1000),
      ParamSpec::boolean("outline_first", true, "the outline and hair come first, as most people draw; else anywhere"),
      ParamSpec::integer("piece_length", 64,
                         "longer lines are drawn piece by piece, this many pixels at a time from a "
                         "random point; 0 = each line at once")
          .range(0, 1 << 30),
      ParamSpec::number("level", 0.01, "pixels with more ink than this form lines").range(0, 0.99),
      ParamSpec::integer("reference", 256, "canvas size the windows are given in").range(16, kMaxImageSide),
      ParamSpec::int_list("left_eye", {44, 112, 60}, 3, "left eye window [x, y, size] (fixture dataset.json)")
          .range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("right_eye", {99, 102, 70}, 3, "right eye window [x, y, size]")
          .range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("nose", {63, 120, 84}, 3, "nose window [x, y, size]").range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("mouth", {70, 139, 80}, 3, "mouth window [x, y, size]").range(-kMaxImageSide, kMaxImageSide)};
  d.compute = [](NodeContext& ctx) {
    const Value& in = ctx.input("sketch");
    cv::Mat m = input_mat(ctx, "sketch");
    const bool gray_input = in.kind() == ValueKind::Image && m.channels() == 1;
    cv::Mat gray = to_gray_on_white(m);
    const int rows = gray.rows, cols = gray.cols;
    const double kx = static_cast<double>(cols) / static_cast<double>(ctx.param_int("reference"));
    const double ky = static_cast<double>(rows) / static_cast<double>(ctx.param_int("reference"));
    std::array<Box, kParts> boxes{};
    for (std::size_t p = 1; p < kParts; ++p) {
      const auto& w = ctx.param_list(kDrawingParts[p]);
      if (w[2] < 1) throw ctx.param_error(kDrawingParts[p], "window size must be at least 1");
      boxes[p] = {w[0] * kx, w[1] * ky, (w[0] + w[2]) * kx, (w[1] + w[2]) * ky};
    }

    // Lines, and the part of every pixel; a line goes wholly to the part
    // holding most of its pixels.
    cv::Mat ink = 1.0 - gray, labels;
    std::vector<int> areas;
    const int n = ink_components(ink, ctx.param_float("level"), labels, ctx.cancel_token(), &areas);
    std::vector<std::array<int, kParts>> votes(static_cast<std::size_t>(n) + 1, std::array<int, kParts>{});
    cv::Mat pixel_parts(rows, cols, CV_8U);
    for (int y = 0; y < rows; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      const int* l = labels.ptr<int>(y);
      std::uint8_t* pp = pixel_parts.ptr<std::uint8_t>(y);
      for (int x = 0; x < cols; ++x) {
        pp[x] = static_cast<std::uint8_t>(pixel_part(boxes, x, y));
        votes[static_cast<std::size_t>(l[x])][pp[x]]++;
      }
    }
    std::array<std::vector<int>, kParts> part_lines;
    for (int i = 1; i <= n; ++i) {
      const auto& v = votes[static_cast<std::size_t>(i)];
      part_lines[static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin())].push_back(i);
    }

    // Pieces: a long line is drawn from a random pixel outwards, in bands of
    // `stroke_length` steps along the line (8-connected distance).
    cv::Mat band;
    std::vector<int> bands;
    Rng starts(ctx.param_int("seed"), 1);
    cut_lines(labels, n, areas, ctx.param_int("piece_length"), starts, band, bands, ctx.cancel_token());

    // Drawing order: parts (outline first or not), lines within a part, and
    // the pieces of a line in turn. A piece appears once `time` pieces are drawn.
    Rng rng(ctx.param_int("seed"));
    std::vector<int> parts(kParts);
    for (std::size_t p = 0; p < kParts; ++p) parts[p] = static_cast<int>(p);
    if (ctx.param_bool("outline_first")) {
      std::vector<int> rest(parts.begin() + 1, parts.end());
      rng.shuffle(rest);
      std::copy(rest.begin(), rest.end(), parts.begin() + 1);
    } else {
      rng.shuffle(parts);
    }
    std::vector<int> first_time(static_cast<std::size_t>(n) + 1, 0);  // time of a line's first piece
    std::array<int, kParts> part_end{};                               // pieces drawn when a part is finished
    std::vector<int> part_ends;                                       // the same, for parts with ink
    std::string order;
    int drawn = 0;
    for (int p : parts) {
      auto& lines = part_lines[static_cast<std::size_t>(p)];
      rng.shuffle(lines);
      for (int line : lines) {
        first_time[static_cast<std::size_t>(line)] = drawn + 1;
        drawn += bands[static_cast<std::size_t>(line)];
      }
      part_end[static_cast<std::size_t>(p)] = drawn;
      if (!lines.empty()) part_ends.push_back(drawn);
      order += (order.empty() ? "" : ",") + std::string(kDrawingParts[static_cast<std::size_t>(p)]);
    }
    const int total = drawn;
    // Pixels outside every line (paper, faint ink) appear with their part.
    cv::Mat pixel_time(rows, cols, CV_32S);
    std::vector<double> piece_ink(static_cast<std::size_t>(total) + 1, 0.0);
    for (int y = 0; y < rows; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      const int* l = labels.ptr<int>(y);
      const int* b = band.ptr<int>(y);
      const std::uint8_t* pp = pixel_parts.ptr<std::uint8_t>(y);
      const float* k = ink.ptr<float>(y);
      int* t = pixel_time.ptr<int>(y);
      for (int x = 0; x < cols; ++x) {
        t[x] = l[x] ? first_time[static_cast<std::size_t>(l[x])] + b[x] : part_end[pp[x]];
        piece_ink[static_cast<std::size_t>(t[x])] += std::clamp(k[x], 0.0f, 1.0f);
      }
    }

    // Step boundaries, in pieces drawn.
    const int steps = static_cast<int>(ctx.param_int("steps"));
    std::vector<int> ends;
    if (steps == 0) {
      ends = part_ends;
    } else {
      std::vector<double> cum(static_cast<std::size_t>(total) + 1, 0.0);  // ink once j pieces are drawn
      cum[0] = piece_ink[0];
      for (int j = 1; j <= total; ++j)
        cum[static_cast<std::size_t>(j)] =
            cum[static_cast<std::size_t>(j) - 1] + piece_ink[static_cast<std::size_t>(j)];
      int prev = 0;
      for (int i = 1; i <= steps; ++i) {
        int j = prev;
        while (j < total && cum[static_cast<std::size_t>(j)] < cum.back() * i / steps - 1e-9) ++j;
        if (steps <= total) j = std::clamp(j, prev + 1, total - (steps - i));  // every step adds ink
        ends.push_back(i == steps ? total : j);
        prev = ends.back();
      }
    }
    if (ends.empty()) ends.push_back(total);  // a blank sketch: one (blank) step

    PartSet out;
    const Window canvas{0, 0, std::max(rows, cols)};
    const int count = static_cast<int>(ends.size());
    for (int i = 0; i < count; ++i) {
      ctx.check_cancelled();
      const int end = ends[static_cast<std::size_t>(i)];
      if (end == total && gray_input) {  // the whole sketch
        out.push_back({step_name(i + 1, count), canvas, in});
        continue;
      }
      cv::Mat step(rows, cols, CV_32F, cv::Scalar(1));
      gray.copyTo(step, pixel_time <= end);
      out.push_back({step_name(i + 1, count), canvas, mat_to_image(step, ctx.device(), &ctx.cancel_token())});
    }
    ctx.set_output("steps", make_parts(std::move(out)));
    ctx.set_output("order", Value::make_string(order));
  };
  return d;
}

}  // namespace sumi
