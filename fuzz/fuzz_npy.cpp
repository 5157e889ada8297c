// The .npy reader (nodes/latent/npy.h): read_npy on the bytes as a file. An
// array that loads must have as many values as its shape says.
#include "fuzz/fuzz_util.h"
#include "nodes/latent/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sumi;
  const std::string path = fuzz::write_file("bank.npy", data, size);
  NpyArray a;
  if (fuzz::expect_ok_or_error([&] { a = read_npy(path); })) {
    std::int64_t count = 1;
    for (std::int64_t d : a.shape) {
      if (d < 0) fuzz::finding("negative dimension");
      count *= d;  // read_npy checked the product fits
    }
    if (static_cast<std::size_t>(count) != a.data.size()) fuzz::finding("shape and data disagree");
  }
  return 0;
}
