// SPDX-License-Identifier: MIT
// tests/io/idx_test.cpp: io::read_idx / io::write_idx on the real Fashion-MNIST files, on fixtures written by an
// independent writer (Python's struct and gzip modules; bytes pasted below) and on malformed files built here.
// The Fashion-MNIST values below were computed with Python's gzip module from the Debian package
// dataset-fashion-mnist; the tests skip with a WARN when its files are not installed.
#include <catch2/catch.hpp>
#include <graft/io/idx.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#ifdef GRAFT_HAS_ZLIB
#include <zlib.h>
#include "support/scratch_dir.hpp"
#include "support/files.hpp"
#endif

using namespace graft;
using graft_test::error_of;
using Catch::Matchers::Contains;
using Bytes = std::vector<unsigned char>;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const Bytes& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
}

Bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void put_be32(Bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

void put_le32(Bytes& b, std::uint32_t v) {
    for (int s = 0; s <= 24; s += 8) b.push_back(static_cast<unsigned char>(v >> s));
}

/// An IDX header: magic 0x0000TTNN then the dims, big-endian.
Bytes idx_header(std::uint8_t type, const std::vector<std::uint32_t>& dims) {
    Bytes b = {0, 0, type, static_cast<unsigned char>(dims.size())};
    for (auto d : dims) put_be32(b, d);
    return b;
}

Bytes with_data(Bytes b, std::size_t n, unsigned char fill = 7) {
    b.insert(b.end(), n, fill);
    return b;
}

const std::string fmnist = "/usr/share/datasets/fashion-mnist/";

bool fmnist_present(const char* file) {
#ifndef GRAFT_HAS_ZLIB
    WARN("skipped: graft was built without zlib, and " << fmnist << file << " is gzip-compressed");
    return false;
#endif
    if (fs::exists(fmnist + file)) return true;
    WARN("skipped: " << fmnist << file << " is not installed (Debian package dataset-fashion-mnist)");
    return false;
}

// Fixtures written by Python's struct module (struct.pack('>...')), an independent IDX writer.
// f32 Shape<2,3>: 1.5, -2.0, 0.1, 3.0e38, -0.0, 1e-40 (a subnormal).
const Bytes py_f32 = {0x00, 0x00, 0x0D, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x3F, 0xC0,
                      0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3D, 0xCC, 0xCC, 0xCD, 0x7F, 0x61, 0xB1, 0xE6,
                      0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x16, 0xC2};
// f64 Shape<3>: 0.1, -1e300, 5e-324.
const Bytes py_f64 = {0x00, 0x00, 0x0E, 0x01, 0x00, 0x00, 0x00, 0x03, 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A,
                      0xFE, 0x37, 0xE4, 0x3C, 0x88, 0x00, 0x75, 0x9C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
// i32 Shape<4>: 1, -1, INT32_MAX, INT32_MIN.
const Bytes py_i32 = {0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
                      0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00};
// gzip.compress(py_i32, mtime=0), Python's gzip module.
const Bytes py_i32_gz = {0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xE0,
                         0x61, 0x64, 0x60, 0x60, 0x60, 0x01, 0x62, 0xC6, 0xFF, 0x40, 0x50, 0x0F, 0xC4,
                         0x0D, 0x40, 0x0E, 0x00, 0x13, 0x28, 0xF2, 0xD7, 0x18, 0x00, 0x00, 0x00};

#ifdef GRAFT_HAS_ZLIB
/// gzip (one member) of `prefix` followed by `zeros` zero bytes; with `garbage_after_flush`, the stream is
/// cut after a full flush and followed by bytes that are not deflate data (inflating past the flush fails).
Bytes gzip(const Bytes& prefix, std::size_t zeros = 0, bool garbage_after_flush = false) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out;
    std::vector<unsigned char> buf(1 << 16);
    auto pump = [&](const unsigned char* in, std::size_t n, int flush) {
        zs.next_in = const_cast<unsigned char*>(in);
        zs.avail_in = static_cast<uInt>(n);
        int rc;
        do {
            zs.next_out = buf.data();
            zs.avail_out = static_cast<uInt>(buf.size());
            rc = deflate(&zs, flush);
            REQUIRE(rc != Z_STREAM_ERROR);
            out.insert(out.end(), buf.data(), buf.data() + (buf.size() - zs.avail_out));
        } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    };
    pump(prefix.data(), prefix.size(), Z_NO_FLUSH);
    const std::vector<unsigned char> zero(1 << 20, 0);
    for (std::size_t left = zeros; left > 0;) {
        const std::size_t n = std::min(left, zero.size());
        pump(zero.data(), n, Z_NO_FLUSH);
        left -= n;
    }
    if (garbage_after_flush) {
        pump(nullptr, 0, Z_FULL_FLUSH);
        deflateEnd(&zs);
        out.insert(out.end(), 64, 0xFF);  // 0xFF: a final block of the reserved type 11, never valid
        return out;
    }
    pump(nullptr, 0, Z_FINISH);
    deflateEnd(&zs);
    return out;
}
#endif

struct MalformedIdx {
    const char* name;
    Bytes bytes;
    std::vector<std::string> message;  ///< substrings the error must contain
};

}  // namespace

// ------------------------------------------------------------------------------------------- real data

TEST_CASE("read_idx reads the Fashion-MNIST t10k images with known pixel values", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("t10k-images-idx3-ubyte.gz")) return;
    const auto a = io::read_idx(fmnist + "t10k-images-idx3-ubyte.gz");
    CHECK(a.dtype == DType::u8);
    CHECK(a.dims == Dims{10000, 28, 28});
    REQUIRE(a.size() == 7'840'000);
    const auto px = a.values<std::uint8_t>();
    auto at = [&](std::size_t i, std::size_t r, std::size_t c) { return int(px[i * 784 + r * 28 + c]); };
    CHECK(at(0, 14, 14) == 110);
    CHECK(at(0, 20, 10) == 126);
    CHECK(at(1, 10, 10) == 0);
    CHECK(at(42, 13, 7) == 237);
    CHECK(at(5000, 5, 20) == 234);
    CHECK(at(7777, 21, 16) == 141);
    CHECK(at(9999, 14, 14) == 132);
    std::uint64_t first = 0, all = 0;
    for (std::size_t i = 0; i < px.size(); ++i) {
        all += px[i];
        if (i < 784) first += px[i];
    }
    CHECK(first == 33456);
    CHECK(all == 573'469'082);
}

TEST_CASE("read_idx reads the Fashion-MNIST t10k labels: 1000 of each of the 10 classes", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("t10k-labels-idx1-ubyte.gz")) return;
    const auto labels = io::read_idx<std::uint8_t, Shape<10000>>(fmnist + "t10k-labels-idx1-ubyte.gz");
    std::array<int, 11> histogram{};  // [10] counts labels outside 0..9
    for (auto l : labels) ++histogram[std::min<std::size_t>(l, 10)];
    for (int k = 0; k < 10; ++k) CHECK(histogram[k] == 1000);
    CHECK(histogram[10] == 0);
    const int first[20] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0};
    for (int i = 0; i < 20; ++i) CHECK(int(labels(i)) == first[i]);
    CHECK(int(labels(42)) == 3);
    CHECK(int(labels(9999)) == 5);
}

TEST_CASE("the typed read_idx returns the t10k images as a Tensor and checks the shape", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("t10k-images-idx3-ubyte.gz")) return;
    const std::string path = fmnist + "t10k-images-idx3-ubyte.gz";
    const auto images = io::read_idx<std::uint8_t, Shape<10000, 28, 28>>(path);
    CHECK(int(images(0, 14, 14)) == 110);
    CHECK(int(images(9999, 14, 14)) == 132);
    CHECK(int(images(5000, 5, 20)) == 234);
    CHECK(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<60000, 28, 28>>(path); }) ==
          "graft::Error: read_idx: " + path + ": expected u8 Shape<60000,28,28>, found u8 Shape<10000,28,28>");
    CHECK(error_of([&] { (void)io::read_idx<float, Shape<10000, 28, 28>>(path); }) ==
          "graft::Error: read_idx: " + path +
              ": expected magic 0x00000D03 (f32, 3 dims), found 0x00000803 (u8 Shape<10000,28,28>)");
}

TEST_CASE("labels passed where images are expected name both magic numbers", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("t10k-labels-idx1-ubyte.gz") || !fmnist_present("t10k-images-idx3-ubyte.gz")) return;
    const std::string labels = fmnist + "t10k-labels-idx1-ubyte.gz";
    const std::string images = fmnist + "t10k-images-idx3-ubyte.gz";
    CHECK(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<10000, 28, 28>>(labels); }) ==
          "graft::Error: read_idx: " + labels +
              ": expected magic 0x00000803 (u8, 3 dims), found 0x00000801 (u8 Shape<10000>)");
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<10000>>(images); }),
               Contains("expected magic 0x00000801 (u8, 1 dims), found 0x00000803 (u8 Shape<10000,28,28>)"));
}

TEST_CASE("read_idx reads the Fashion-MNIST training set: 60000 images, 6000 of each label", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("train-images-idx3-ubyte.gz") || !fmnist_present("train-labels-idx1-ubyte.gz")) return;
    const auto labels = io::read_idx<std::uint8_t, Shape<60000>>(fmnist + "train-labels-idx1-ubyte.gz");
    std::array<int, 11> histogram{};
    for (auto l : labels) ++histogram[std::min<std::size_t>(l, 10)];
    for (int k = 0; k < 10; ++k) CHECK(histogram[k] == 6000);
    CHECK(histogram[10] == 0);
    const int first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    for (int i = 0; i < 10; ++i) CHECK(int(labels(i)) == first[i]);
    const auto images = io::read_idx<std::uint8_t, Shape<60000, 28, 28>>(fmnist + "train-images-idx3-ubyte.gz");
    CHECK(int(images(0, 14, 14)) == 217);
    CHECK(int(images(59999, 14, 14)) == 0);
    std::uint64_t first_sum = 0, all = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
        all += images[i];
        if (i < 784) first_sum += images[i];
    }
    CHECK(first_sum == 76247);
    CHECK(all == 3'431'114'169ULL);
}

TEST_CASE("a Fashion-MNIST file written back uncompressed reads back the same", "[io][idx][fashion-mnist]") {
    if (!fmnist_present("t10k-labels-idx1-ubyte.gz")) return;
    graft_test::ScratchDir dir("idx_test");
    const auto labels = io::read_idx(fmnist + "t10k-labels-idx1-ubyte.gz");
    // A plain file named .gz is still read as plain: the magic decides, not the name.
    const std::string out = dir.file("labels-but-not-compressed.gz");
    io::write_idx(out, labels);
    CHECK(read_file(out).size() == 10008);
    const auto again = io::read_idx(out);
    CHECK(again.dims == labels.dims);
    CHECK(std::memcmp(again.data.data(), labels.data.data(), labels.data.size()) == 0);
}

// ------------------------------------------------------------------------- fixtures from an independent writer

TEST_CASE("read_idx converts big-endian f32, f64 and i32 written by Python to host order", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    write_file(dir.file("f32.idx"), py_f32);
    write_file(dir.file("f64.idx"), py_f64);
    write_file(dir.file("i32.idx"), py_i32);

    const auto f = io::read_idx<float, Shape<2, 3>>(dir.file("f32.idx"));
    CHECK(f(0, 0) == 1.5f);
    CHECK(f(0, 1) == -2.0f);
    CHECK(f(0, 2) == 0.1f);
    CHECK(f(1, 0) == 3.0e38f);
    CHECK(f(1, 1) == 0.0f);
    CHECK(std::signbit(f(1, 1)));
    CHECK(f(1, 2) == 1e-40f);

    const auto d = io::read_idx(dir.file("f64.idx"));
    CHECK(d.dtype == DType::f64);
    CHECK(d.dims == Dims{3});
    const auto dv = d.values<double>();
    CHECK(dv[0] == 0.1);
    CHECK(dv[1] == -1e300);
    CHECK(dv[2] == 5e-324);

    const auto i = io::read_idx<std::int32_t, Shape<4>>(dir.file("i32.idx"));
    CHECK(i(0) == 1);
    CHECK(i(1) == -1);
    CHECK(i(2) == 2147483647);
    CHECK(i(3) == -2147483647 - 1);
}

TEST_CASE("write_idx writes the same bytes as Python's struct module", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    const Tensor<float, Shape<2, 3>> f{{1.5f, -2.0f, 0.1f}, {3.0e38f, -0.0f, 1e-40f}};
    io::write_idx(dir.file("f32.idx"), f);
    CHECK(read_file(dir.file("f32.idx")) == py_f32);
    const Tensor<double, Shape<3>> d{0.1, -1e300, 5e-324};
    io::write_idx(dir.file("f64.idx"), d);
    CHECK(read_file(dir.file("f64.idx")) == py_f64);
    const Tensor<std::int32_t, Shape<4>> i{1, -1, 2147483647, -2147483647 - 1};
    io::write_idx(dir.file("i32.idx"), i);
    CHECK(read_file(dir.file("i32.idx")) == py_i32);
    // no temporary is left next to the files
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 3);
}

TEST_CASE("write_idx then read_idx round-trips every dtype, NaN payloads and zero-size dims", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    Tensor<float, Shape<3, 1, 2>> f{{{1.f, std::nanf("")}}, {{-INFINITY, INFINITY}}, {{0.25f, -7.f}}};
    io::write_idx(dir.file("f"), f);
    const auto f2 = io::read_idx<float, Shape<3, 1, 2>>(dir.file("f"));
    CHECK(std::memcmp(f.data(), f2.data(), sizeof(float) * f.size()) == 0);

    Tensor<std::uint8_t, Shape<2, 2>> u{{0, 255}, {128, 1}};
    io::write_idx(dir.file("u"), u);
    CHECK(read_file(dir.file("u")) == Bytes{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 128, 1});
    const auto u2 = io::read_idx<std::uint8_t, Shape<2, 2>>(dir.file("u"));
    CHECK(std::equal(u.begin(), u.end(), u2.begin()));

    io::write_idx(dir.file("empty"), DType::f64, Dims{0, 5}, {});
    const auto e = io::read_idx(dir.file("empty"));
    CHECK(e.dims == Dims{0, 5});
    CHECK(e.size() == 0);
    CHECK(io::read_idx<double, Shape<0, 5>>(dir.file("empty")).size() == 0);

    // write_idx replaces an existing file
    io::write_idx(dir.file("u"), DType::i32, Dims{1}, std::span<const unsigned char>(py_i32.data() + 8, 4));
    CHECK(io::read_idx(dir.file("u")).dims == Dims{1});
}

TEST_CASE("write_idx refuses data that does not match the dims and leaves the old file", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    const std::string p = dir.file("x.idx");
    write_file(p, py_i32);
    const Bytes five(5, 1);
    CHECK_THAT(error_of([&] { io::write_idx(p, DType::i32, Dims{2}, five); }),
               Contains("write_idx: " + p + ": expected 8 data bytes for i32 Shape<2>, found 5"));
    CHECK_THAT(error_of([&] { io::write_idx(p, DType::u8, Dims{}, five); }), Contains("expected 1 to 16 dims, found 0 dims"));
    CHECK_THAT(error_of([&] { io::write_idx(p, DType::u8, Dims(17, 1), Bytes(1)); }),
               Contains("expected 1 to 16 dims, found 17 dims"));
    CHECK_THAT(error_of([&] { io::write_idx(p, DType::u8, Dims{std::size_t{1} << 32, 0}, {}); }),
               Contains("expected dims below 2^32"));
    CHECK(read_file(p) == py_i32);
}

TEST_CASE("IdxArray::values refuses a different element type", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    write_file(dir.file("i32.idx"), py_i32);
    const auto a = io::read_idx(dir.file("i32.idx"));
    CHECK(a.values<std::int32_t>().size() == 4);
    CHECK_THAT(error_of([&] { (void)a.values<float>(); }),
               Contains("IdxArray::values: expected f32 elements, found i32 elements"));
}

TEST_CASE("read_idx says where a missing file, a directory or a bad typed request is", "[io][idx]") {
    graft_test::ScratchDir dir("idx_test");
    CHECK_THAT(error_of([&] { (void)io::read_idx(dir.file("nope.idx")); }),
               Contains("read_idx: " + dir.file("nope.idx") + ": cannot open"));
    CHECK_THAT(error_of([&] { (void)io::read_idx(dir.path().string()); }),
               Contains("expected a regular file, found a directory"));
    write_file(dir.file("labels"), with_data(idx_header(0x08, {10}), 10));
    write_file(dir.file("images"), with_data(idx_header(0x08, {10, 2, 2}), 40));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<10, 2, 2>>(dir.file("labels")); }),
               Contains("expected magic 0x00000803 (u8, 3 dims), found 0x00000801 (u8 Shape<10>)"));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<10>>(dir.file("images")); }),
               Contains("expected magic 0x00000801 (u8, 1 dims), found 0x00000803 (u8 Shape<10,2,2>)"));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Shape<11>>(dir.file("labels")); }),
               Contains("expected u8 Shape<11>, found u8 Shape<10>"));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::int32_t, Shape<10>>(dir.file("labels")); }),
               Contains("expected magic 0x00000C01 (i32, 1 dims), found 0x00000801"));
}

// ------------------------------------------------------------------------------------------- malformed files

TEST_CASE("malformed plain IDX files are errors naming the field, the expected and the found value", "[io][idx]") {
    const std::uint32_t big = 0xFFFFFFFFu;
    std::vector<MalformedIdx> cases = {
        {"empty file", {}, {"expected an IDX header starting with a 4-byte magic number, found a file of 0 bytes"}},
        {"1 byte", {0}, {"found a file of 1 byte"}},
        {"2 bytes", {0, 0}, {"found a file of 2 bytes"}},
        {"3 bytes", {0, 0, 8}, {"found a file of 3 bytes"}},
        {"non-zero first magic bytes", with_data({0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1}, 1),
         {"expected magic 0x0000TTNN", "found 0x12340801 (not an IDX file"}},
        {"unknown type 0x0A", with_data(idx_header(0x0A, {1}), 1), {"found unsupported IDX type 0x0A (unknown)"}},
        {"unknown type 0xFF", with_data(idx_header(0xFF, {1}), 1), {"found unsupported IDX type 0xFF (unknown)"}},
        {"int8 type 0x09", with_data(idx_header(0x09, {1}), 1),
         {"expected IDX type 0x08 (u8), 0x0C (i32), 0x0D (f32) or 0x0E (f64) in magic 0x00000901",
          "found unsupported IDX type 0x09 (int8)"}},
        {"int16 type 0x0B", with_data(idx_header(0x0B, {1}), 2), {"unsupported IDX type 0x0B (int16)"}},
        {"0 dims", {0, 0, 8, 0, 42}, {"expected 1 to 16 dims (last byte of the magic), found 0 dims in magic 0x00000800"}},
        {"255 dims", with_data(idx_header(0x08, std::vector<std::uint32_t>(255, 1)), 1),
         {"found 255 dims in magic 0x000008FF"}},
        {"dims cut short: the magic declares 3 dims, 2 follow",
         {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2},
         {"expected 16 header bytes (magic + 3 dims), found 12 bytes"}},
        {"dims overflowing SIZE_MAX", idx_header(0x08, {big, big, big}),
         {"expected dims whose byte count fits in size_t",
          "found u8 Shape<4294967295,4294967295,4294967295>, which overflows"}},
        {"element count times 8 overflowing SIZE_MAX", idx_header(0x0E, {0x80000000u, 0x40000000u}),
         {"found f64 Shape<2147483648,1073741824>, which overflows"}},
        {"dims far beyond the file size", with_data(idx_header(0x08, {65536, 65536, 128}), 10),
         {"expected 549755813888 data bytes for u8 Shape<65536,65536,128>, found 10"}},
        {"fewer data bytes than declared", with_data(idx_header(0x08, {2, 3}), 5),
         {"expected 6 data bytes for u8 Shape<2,3>, found 5"}},
        {"i32 data one byte short", with_data(idx_header(0x0C, {3}), 11),
         {"expected 12 data bytes for i32 Shape<3>, found 11"}},
        {"trailing bytes after the array", with_data(idx_header(0x08, {2, 3}), 8),
         {"expected 6 data bytes for u8 Shape<2,3>, found 8 (2 trailing bytes after the array)"}},
        {"little-endian magic", with_data({0x03, 0x08, 0x00, 0x00}, 12),
         {"found 0x03080000 (the bytes of 0x00000803 reversed: written little-endian?)"}},
    };
    {
        Bytes le = {0, 0, 8, 2};  // little-endian dims 3 x 2, a common writer bug
        put_le32(le, 3);
        put_le32(le, 2);
        cases.push_back({"little-endian dims", with_data(le, 6),
                         {"expected 1688849860263936 data bytes for u8 Shape<50331648,33554432>, found 6",
                          "the dims read little-endian, Shape<3,2>, would fit: was the file written little-endian?"}});
    }
    REQUIRE(cases.size() >= 20);

    graft_test::ScratchDir dir("idx_test");
    std::size_t checked = 0;
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        const std::string p = dir.file("bad.idx");
        write_file(p, c.bytes);
        const std::string msg = error_of([&] { (void)io::read_idx(p); });
        CHECK_THAT(msg, Contains("graft::Error: read_idx: " + p + ": "));
        for (const auto& part : c.message) CHECK_THAT(msg, Contains(part));
        // the typed reader runs the same checks before it looks at the requested shape
        const std::string typed = error_of([&] { (void)io::read_idx<std::uint8_t, Shape<2, 3>>(p); });
        CHECK_THAT(typed, Contains("read_idx: " + p));
        ++checked;
    }
    CHECK(checked == cases.size());
}

#ifdef GRAFT_HAS_ZLIB

TEST_CASE("read_idx inflates gzip written by Python, by zlib, and in several members", "[io][idx][gzip]") {
    graft_test::ScratchDir dir("idx_test");
    // detected by the magic bytes, whatever the name
    write_file(dir.file("python.idx"), py_i32_gz);
    const auto i = io::read_idx<std::int32_t, Shape<4>>(dir.file("python.idx"));
    CHECK(i(0) == 1);
    CHECK(i(3) == -2147483647 - 1);

    write_file(dir.file("zlib.gz"), gzip(py_f32));
    const auto f = io::read_idx<float, Shape<2, 3>>(dir.file("zlib.gz"));
    CHECK(f(1, 0) == 3.0e38f);

    // RFC 1952: a gzip file is a series of members; the array may span them
    Bytes two = gzip(Bytes(py_f64.begin(), py_f64.begin() + 13));
    const Bytes rest = gzip(Bytes(py_f64.begin() + 13, py_f64.end()));
    two.insert(two.end(), rest.begin(), rest.end());
    write_file(dir.file("two-members.gz"), two);
    const auto d = io::read_idx(dir.file("two-members.gz"));
    CHECK(d.values<double>()[1] == -1e300);

    // a large array crosses many input and output buffer refills
    Bytes big = idx_header(0x0C, {300, 1000});
    for (std::uint32_t k = 0; k < 300'000; ++k) put_be32(big, k * 2654435761u);
    write_file(dir.file("big.gz"), gzip(big));
    const auto b = io::read_idx(dir.file("big.gz"));
    REQUIRE(b.size() == 300'000);
    const auto bv = b.values<std::int32_t>();
    bool same = true;
    for (std::uint32_t k = 0; k < 300'000; ++k) same = same && bv[k] == static_cast<std::int32_t>(k * 2654435761u);
    CHECK(same);
}

TEST_CASE("malformed gzip-compressed IDX files are errors, and a gzip bomb stops at the declared size",
          "[io][idx][gzip]") {
    const Bytes good = with_data(idx_header(0x08, {4, 25}), 100, 3);
    const Bytes good_gz = gzip(good);
    REQUIRE(good_gz.size() > 24);
    auto flipped = [&](std::size_t at) {
        Bytes b = good_gz;
        b[at] ^= 0x55;
        return b;
    };
    Bytes le = {0, 0, 8, 2};
    put_le32(le, 3);
    put_le32(le, 2);
    Bytes garbage_after = good_gz;
    garbage_after.insert(garbage_after.end(), {'j', 'u', 'n', 'k', '!', '!', '!', '!', '!', '!'});

    std::vector<MalformedIdx> cases = {
        {"truncated gzip stream", Bytes(good_gz.begin(), good_gz.begin() + long(good_gz.size() / 2)),
         {"expected a complete gzip stream", "found truncated gzip stream"}},
        {"gzip without its 8-byte trailer", Bytes(good_gz.begin(), good_gz.end() - 8), {"truncated gzip stream"}},
        {"only the gzip magic", {0x1f, 0x8b}, {"truncated gzip stream"}},
        {"gzip with a bad CRC-32", flipped(good_gz.size() - 8),
         {"corrupt gzip stream: incorrect data check (the CRC-32 does not match the data)"}},
        {"gzip with a bad length", flipped(good_gz.size() - 2), {"corrupt gzip stream: incorrect length check"}},
        {"gzip with a bad compression method", flipped(2), {"corrupt gzip stream"}},
        {"gzip followed by bytes that are not gzip", garbage_after, {"trailing bytes that are not gzip data"}},
        {"gzip of an empty file", gzip({}), {"found a file of 0 bytes (after gunzip)"}},
        {"gzip of a truncated header", gzip({0, 0, 8, 3, 0, 0, 0, 1}), {"found 8 bytes (after gunzip)"}},
        {"gzip with fewer data bytes than declared", gzip(with_data(idx_header(0x08, {1000, 1000}), 10)),
         {"expected 1000000 data bytes for u8 Shape<1000,1000>, found 10 after gunzip"}},
        {"gzip declaring 512 GiB (more than the file can inflate to)",
         gzip(with_data(idx_header(0x08, {65536, 65536, 128}), 100)),
         {"expected 549755813888 data bytes for u8 Shape<65536,65536,128>, found 100 after gunzip"}},
        {"gzip with trailing bytes after the array", gzip(with_data(idx_header(0x08, {2, 2}), 5)),
         {"expected 4 data bytes for u8 Shape<2,2>, found more (trailing data after the declared array, after gunzip)"}},
        {"gzip bomb: 4 bytes declared, 64 MiB of zeros", gzip(idx_header(0x08, {2, 2}), std::size_t{64} << 20),
         {"expected 4 data bytes for u8 Shape<2,2>, found more (trailing data"}},
        // Inflating past declared size + 1 would reach the invalid block and report "corrupt" instead.
        {"gzip bomb that is corrupt after 1 MiB", gzip(idx_header(0x08, {2, 2}), std::size_t{1} << 20, true),
         {"found more (trailing data"}},
        {"gzip with little-endian dims", gzip(with_data(le, 6)),
         {"found 6 after gunzip", "the dims read little-endian, Shape<3,2>, would fit"}},
        {"gzip with an int8 type", gzip(with_data(idx_header(0x09, {2}), 2)), {"unsupported IDX type 0x09 (int8)"}},
    };
    REQUIRE(cases.size() >= 15);

    graft_test::ScratchDir dir("idx_test");
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        const std::string p = dir.file("bad.idx.gz");
        write_file(p, c.bytes);
        const std::string msg = error_of([&] { (void)io::read_idx(p); });
        CHECK_THAT(msg, Contains("graft::Error: read_idx: " + p + ": "));
        for (const auto& part : c.message) CHECK_THAT(msg, Contains(part));
    }

    // the valid stream the corrupt ones were made from does read
    write_file(dir.file("good.gz"), good_gz);
    CHECK(io::read_idx<std::uint8_t, Shape<4, 25>>(dir.file("good.gz"))(3, 24) == 3);
}

TEST_CASE("the typed read_idx checks the header before it allocates the tensor", "[io][idx][gzip]") {
    graft_test::ScratchDir dir("idx_test");
    // 512 GiB declared in a small gzip file: the request matches the header, but the data cannot be there.
    using Huge = Shape<65536, 65536, 128>;
    write_file(dir.file("huge.gz"), gzip(with_data(idx_header(0x08, {65536, 65536, 128}), 100)));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Huge>(dir.file("huge.gz")); }),
               Contains("expected 549755813888 data bytes for u8 Shape<65536,65536,128>, found 100 after gunzip"));
    write_file(dir.file("huge.idx"), with_data(idx_header(0x08, {65536, 65536, 128}), 100));
    CHECK_THAT(error_of([&] { (void)io::read_idx<std::uint8_t, Huge>(dir.file("huge.idx")); }),
               Contains("expected 549755813888 data bytes for u8 Shape<65536,65536,128>, found 100"));
}

#else

TEST_CASE("without zlib, a gzip file is a clear error", "[io][idx][gzip]") {
    graft_test::ScratchDir dir("idx_test");
    write_file(dir.file("python.gz"), py_i32_gz);
    CHECK_THAT(error_of([&] { (void)io::read_idx(dir.file("python.gz")); }),
               Contains("looks gzip-compressed (magic bytes 1f 8b), but graft was built without zlib"));
}

#endif
