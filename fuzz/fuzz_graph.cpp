// The graph-file loader (engine/graph_file.h): parse_graph on the bytes, and
// load_graph_file on them as a file. A graph that loads must save and load
// again to the same text (save(load(save(g))) == save(g)).
#include "engine/graph_file.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sumi;
  Graph g;
  const bool ok = fuzz::expect_ok_or_error([&] { g = parse_graph(fuzz::as_text(data, size), "fuzz.sumi.json"); });
  if (ok) {
    std::string saved;
    if (!fuzz::expect_ok_or_error([&] { saved = graph_to_json(g); })) fuzz::finding("a loaded graph does not save");
    Graph again;
    if (!fuzz::expect_ok_or_error([&] { again = parse_graph(saved, "saved.sumi.json"); }))
      fuzz::finding("a saved graph does not load:\n" + saved);
    if (graph_to_json(again) != saved) fuzz::finding("save(load(save(g))) != save(g):\n" + saved);
  }
  // The file path: read_file, size and file-type checks, then the same parser.
  const std::string path = fuzz::write_file("graph.sumi.json", data, size);
  fuzz::expect_ok_or_error([&] { load_graph_file(path); });
  return 0;
}
