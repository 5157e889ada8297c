#include "nodes/latent/npy.h"

#include <Eigen/Core>
#include <charconv>
#include <cstring>

#include "engine/atomic_file.h"
#include "engine/error.h"

namespace sumi {

NpyArray read_npy(const std::string& path) {
  const std::string bytes = read_file(path);
  ErrorContext ctx;
  ctx.file = path;
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(ctx, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) throw Error(ctx, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  }
  if (offset + header_len > bytes.size()) throw Error(ctx, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  auto field = [&](const std::string& key) {
    auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw Error(ctx, "the .npy header has no '" + key + "'");
    return header.substr(header.find(':', k) + 1);
  };
  std::string descr = field("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  if (header.find("'fortran_order': True") != std::string::npos) throw Error(ctx, "Fortran-order arrays are not supported");
  std::string shape_text = field("shape");
  shape_text = shape_text.substr(shape_text.find('(') + 1, shape_text.find(')') - shape_text.find('(') - 1);
  NpyArray a;
  std::int64_t count = 1;
  std::size_t pos = 0;
  while (pos < shape_text.size()) {
    auto comma = shape_text.find(',', pos);
    std::string item = shape_text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_not_of(" ") != std::string::npos) {
      std::int64_t dim = 0;
      const char* first = item.data() + item.find_first_not_of(" ");
      const char* last = item.data() + item.find_last_not_of(" ") + 1;
      if (auto [end, err] = std::from_chars(first, last, dim); err != std::errc() || end != last)
        throw Error(ctx, "the .npy shape (" + shape_text + ") is not a list of whole numbers");
      a.shape.push_back(dim);
      // Checked before multiplying: a hostile header must not overflow the count.
      if (a.shape.back() < 0 || (a.shape.back() > 0 && count > (std::int64_t{1} << 40) / a.shape.back()))
        throw Error(ctx, "the .npy shape (" + shape_text + ") is negative or too large");
      count *= a.shape.back();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const char* p = bytes.data() + offset + header_len;
  const std::size_t avail = bytes.size() - offset - header_len;
  std::size_t elem = 0;
  if (descr == "<f2") elem = 2;
  else if (descr == "<f4" || descr == "<i4") elem = 4;
  else if (descr == "<i8" || descr == "<f8") elem = 8;
  else throw Error(ctx, "unsupported .npy dtype " + descr + " (use float16/32/64 or int32/64, little-endian)");
  if (avail < static_cast<std::size_t>(count) * elem) throw Error(ctx, "the .npy file is truncated");
  a.data.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const char* e = p + i * static_cast<std::int64_t>(elem);
    if (descr == "<f2") {
      std::uint16_t bits;
      std::memcpy(&bits, e, 2);
      a.data[static_cast<std::size_t>(i)] = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(bits));
    } else if (descr == "<f4") {
      std::memcpy(&a.data[static_cast<std::size_t>(i)], e, 4);
    } else if (descr == "<f8") {
      double d;
      std::memcpy(&d, e, 8);
      a.data[static_cast<std::size_t>(i)] = static_cast<float>(d);
    } else if (descr == "<i4") {
      std::int32_t v;
      std::memcpy(&v, e, 4);
      a.data[static_cast<std::size_t>(i)] = static_cast<float>(v);
    } else {
      std::int64_t v;
      std::memcpy(&v, e, 8);
      a.data[static_cast<std::size_t>(i)] = static_cast<float>(v);
    }
  }
  return a;
}

void write_npy(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& data) {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  write_file_atomic(path, out);
}

}  // namespace sumi
