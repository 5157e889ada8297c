// The strokes loader (nodes/common/strokes_file.h): parse_strokes on the bytes, and
// load_strokes_file on them as a file. Strokes that load must save and load
// again to the same text.
#include <algorithm>

#include "nodes/common/strokes_file.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sumi;
  Strokes s;
  const bool ok = fuzz::expect_ok_or_error([&] { s = parse_strokes(fuzz::as_text(data, size), "fuzz.strokes.json"); });
  if (ok) {
    std::string saved;
    if (!fuzz::expect_ok_or_error([&] { saved = strokes_to_json(s); })) fuzz::finding("loaded strokes do not save");
    Strokes again;
    if (!fuzz::expect_ok_or_error([&] { again = parse_strokes(saved, "saved.strokes.json"); }))
      fuzz::finding("saved strokes do not load:\n" + saved);
    if (strokes_to_json(again) != saved) fuzz::finding("save(load(save(s))) != save(s):\n" + saved);
  }
  const std::string path = fuzz::write_file("fuzz.strokes.json", data, size);
  fuzz::expect_ok_or_error([&] { load_strokes_file(path); });
  // Colours on their own (the first line of the input, at most 16 bytes).
  std::string_view text = fuzz::as_text(data, size);
  text = text.substr(0, std::min<std::size_t>(text.find('\n'), 16));
  Rgba c;
  if (parse_color(text, c)) {
    Rgba again;
    if (!parse_color(color_to_string(c), again) || !(again == c)) fuzz::finding("colour does not round-trip");
  }
  return 0;
}
