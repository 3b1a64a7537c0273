// SPDX-License-Identifier: MIT
// tests/io/safetensors_test.cpp: save_safetensors / load_safetensors (TESTING.md 2.6 "safetensors").
// Round trips (every dtype, rank 0, empty, large), a byte-exact golden file and an interop file, both
// written by an independent Python-stdlib writer (tests/io/fixtures/make_safetensors_fixtures.py), and a
// table of malformed files, each of which must give a graft::Error naming what was expected and found.
#include <catch2/catch.hpp>

#include <graft/io/safetensors.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using graft::DType;
using graft::Dims;
using graft::io::load_safetensors;
using graft::io::parse_safetensors;
using graft::io::safetensors_bytes;
using graft::io::save_safetensors;
using graft::io::SafetensorsFile;
using graft::io::TensorRef;
using graft_test::error_of;
using graft_test::slurp;
using graft_test::spit;

namespace {

fs::path fixture(const std::string& name) { return fs::path(__FILE__).parent_path() / "fixtures" / name; }

std::string as_string(const std::vector<unsigned char>& v) { return {v.begin(), v.end()}; }

std::span<const unsigned char> span_of(const std::string& s) { return {reinterpret_cast<const unsigned char*>(s.data()), s.size()}; }

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
    std::string s(v.size() * sizeof(T), '\0');
    if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
    return s;
}

std::string le64(std::uint64_t n) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return s;
}

/// A file image: 8-byte length, header text, data.
std::string image(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

/// One header entry: "name":{"dtype":...,"shape":[...],"data_offsets":[b,e]}
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}

template <class T>
std::uint64_t bits_of(T x) {
    if constexpr (sizeof(T) == 4) return std::bit_cast<std::uint32_t>(x);
    else return std::bit_cast<std::uint64_t>(x);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("safetensors round trip keeps every dtype, rank-0 and empty tensor, names and metadata", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_roundtrip");
    const std::vector<float> f32{1.5f, -2.25f, 0.f, 3e38f, -1e-38f, 7.f, 8.f, 9.f, 10.f, 11.f, 12.f, 13.f};
    const std::vector<double> f64{3.141592653589793, -0.0, 1e-300, 2.5, 1e300};
    const std::vector<std::int32_t> i32{std::numeric_limits<std::int32_t>::min(), -1, 0, 1, 2, 3, 4, std::numeric_limits<std::int32_t>::max()};
    const std::vector<std::uint8_t> u8{0, 1, 2, 127, 128, 254, 255};
    const float scalar = 42.5f;
    const std::uint8_t scalar_u8 = 200;
    const std::vector<TensorRef> refs{
        {"layer.0/weight", DType::f32, {3, 4}, f32.data()},
        {"bias", DType::f64, {5}, f64.data()},
        {"cube", DType::i32, {2, 2, 2}, i32.data()},
        {"pixels", DType::u8, {7}, u8.data()},
        {"scalar", DType::f32, {}, &scalar},
        {"scalar_u8", DType::u8, {}, &scalar_u8},
        {"empty", DType::f32, {0}, nullptr},
        {"empty_3d", DType::f64, {4, 0, 2}, nullptr},
        {"gr\xC3\xB6\xC3\x9F" "e \"quoted\" \\ tab\t \xF0\x9F\x98\x80", DType::u8, {1}, u8.data()},
        {"", DType::i32, {1}, i32.data()},
    };
    const std::map<std::string, std::string> meta{
        {"format", "pt"}, {"epoch", "12"}, {"weird \"key\"\n", "value with \x01 control, \\ and \xE2\x9C\x93"}, {"", ""}};
    const auto path = dir.file("m.safetensors");
    save_safetensors(path, refs, meta);
    CHECK(dir.entries() == std::vector<std::string>{"m.safetensors"});

    const SafetensorsFile f = load_safetensors(path);
    CHECK(f.metadata == meta);
    REQUIRE(f.tensors.size() == refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
        INFO("tensor " << i << " " << refs[i].name);
        const auto& r = f.tensors[i];
        CHECK(r.name == refs[i].name);
        CHECK(r.dtype == refs[i].dtype);
        CHECK(r.dims == refs[i].dims);
        std::size_t n = graft::dtype_size(refs[i].dtype);
        for (auto d : refs[i].dims) n *= d;
        REQUIRE(r.data.size() == n);
        if (n) CHECK(std::memcmp(r.data.data(), refs[i].data, n) == 0);
    }
    CHECK(f.at("cube").values<std::int32_t>() == i32);
    CHECK(f.at("bias").values<double>().size() == 5);
    CHECK(f.at("scalar").numel() == 1);
    CHECK(f.at("scalar").values<float>() == std::vector<float>{42.5f});
    CHECK(f.at("empty_3d").numel() == 0);
    CHECK(f.at("empty_3d").dims == Dims{4, 0, 2});
    CHECK(f.find("nope") == nullptr);

    // The in-memory writer and reader agree with the file ones.
    CHECK(as_string(safetensors_bytes(refs, meta)) == slurp(path));
    const auto g = parse_safetensors(safetensors_bytes(refs, meta));
    CHECK(g.tensors.size() == refs.size());
    CHECK(g.metadata == meta);
}

TEST_CASE("safetensors round trip of a 2 MB float tensor and a 1 MB double tensor is bit-exact", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_large");
    std::mt19937 rng(7);
    std::normal_distribution<float> nf;
    std::normal_distribution<double> nd;
    std::vector<float> a(512 * 1024);
    std::vector<double> b(1 << 17);
    for (auto& x : a) x = nf(rng);
    for (auto& x : b) x = nd(rng);
    const auto path = dir.file("big.safetensors");
    save_safetensors(path, {{"a", DType::f32, {512, 1024}, a.data()}, {"b", DType::f64, {1 << 17}, b.data()}});
    const auto f = load_safetensors(path);
    CHECK(f.at("a").values<float>() == a);
    CHECK(f.at("b").values<double>() == b);
    CHECK(fs::file_size(path) % 8 == 0);  // header padded to 8, then 4*2^19 + 8*2^17 bytes
}

TEST_CASE("safetensors keeps NaN payloads, infinities and negative zero bit for bit", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_special");
    const float qnan_payload = std::bit_cast<float>(std::uint32_t{0x7FC00001});
    const float snan = std::bit_cast<float>(std::uint32_t{0x7F800001});
    const graft::Tensor<float, graft::Shape<2, 3>> t{{qnan_payload, snan, std::numeric_limits<float>::infinity()},
                                                     {-std::numeric_limits<float>::infinity(), -0.0f, std::numeric_limits<float>::denorm_min()}};
    const graft::Tensor<double, graft::Shape<>> d(std::numeric_limits<double>::quiet_NaN());
    const auto path = dir.file("nan.safetensors");
    save_safetensors(path, {graft::io::tensor_ref("t", t), graft::io::tensor_ref("d", d)});
    const auto f = load_safetensors(path);
    const auto back = f.at("t").to_tensor<float, graft::Shape<2, 3>>();
    for (std::size_t i = 0; i < 6; ++i) CHECK(bits_of(back.data()[i]) == bits_of(t.data()[i]));
    CHECK(std::isnan(f.at("d").to_tensor<double, graft::Shape<>>().data()[0]));
}

TEST_CASE("safetensors stores little-endian bytes and a little-endian header length (no host-order assumption)", "[io][safetensors]") {
    const std::int32_t v = 0x01020304;
    const double one = 1.0;  // 0x3FF0000000000000
    const std::vector<TensorRef> refs{{"v", DType::i32, {}, &v}, {"one", DType::f64, {}, &one}};
    const std::string bytes = as_string(safetensors_bytes(refs));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    REQUIRE(bytes.size() == 8 + n + 12);
    CHECK(n % 8 == 0);
    CHECK(bytes.substr(8 + n, 4) == std::string("\x04\x03\x02\x01", 4));
    CHECK(bytes.substr(8 + n + 4, 8) == std::string("\x00\x00\x00\x00\x00\x00\xF0\x3F", 8));
    CHECK(bytes.substr(8, n).find_first_not_of(' ', bytes.substr(8, n).rfind('}') + 1) == std::string::npos);
}

TEST_CASE("save_safetensors with no tensors writes a loadable file", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_none");
    save_safetensors(dir.file("e"), std::span<const TensorRef>{});
    CHECK(slurp(dir.file("e")) == le64(8) + "{}      ");
    const auto f = load_safetensors(dir.file("e"));
    CHECK(f.tensors.empty());
    CHECK(f.metadata.empty());
}

// ---------------------------------------------------------------------------------------------------
// Independent writer: the golden and interop fixtures

TEST_CASE("save_safetensors reproduces the golden file byte for byte", "[io][safetensors]") {
    // Same tensors as golden() in tests/io/fixtures/make_safetensors_fixtures.py.
    const std::vector<float> w{0.5f, -1.0f, 2.0f, 3.25f, 0.0f, 100.0f};
    const std::vector<double> b{1.0, -2.5, 0.125};
    const std::int32_t step = 7;
    const std::vector<std::uint8_t> mask{0, 1, 254, 255};
    const std::vector<TensorRef> refs{{"w", DType::f32, {2, 3}, w.data()},
                                      {"b", DType::f64, {3}, b.data()},
                                      {"step", DType::i32, {}, &step},
                                      {"mask", DType::u8, {4}, mask.data()},
                                      {"empty", DType::f32, {0, 3}, nullptr}};
    const std::map<std::string, std::string> meta{{"epoch", "3"}, {"note", "gr\xC3\xB6\xC3\x9F" "e \"q\"\n\x01"}};
    const std::string golden = slurp(fixture("golden_small.safetensors"));
    CHECK(as_string(safetensors_bytes(refs, meta)) == golden);

    graft_test::ScratchDir dir("st_golden");
    save_safetensors(dir.file("g.safetensors"), refs, meta);
    CHECK(slurp(dir.file("g.safetensors")) == golden);

    const auto f = load_safetensors(fixture("golden_small.safetensors").string());
    CHECK(f.metadata == meta);
    CHECK(f.at("w").values<float>() == w);
    CHECK(f.at("b").values<double>() == b);
    CHECK(f.at("step").values<std::int32_t>() == std::vector<std::int32_t>{7});
    CHECK(f.at("mask").values<std::uint8_t>() == mask);
    CHECK(f.at("empty").dims == Dims{0, 3});
}

TEST_CASE("load_safetensors reads a file from an independent writer (indented, escaped, reordered)", "[io][safetensors]") {
    const auto f = load_safetensors(fixture("interop.safetensors").string());
    std::vector<std::string> names;
    for (const auto& r : f.tensors) names.push_back(r.name);
    const std::string emoji_name = "gr\xC3\xB6\xC3\x9F" "e_\xF0\x9F\x98\x80";  // written as \u00f6\u00dfe_\ud83d\ude00
    CHECK(names == std::vector<std::string>{"special", "pixels", "empty_b", "labels", "layer.0/weight", "empty_a", emoji_name});
    CHECK(f.metadata == std::map<std::string, std::string>{{"format", "pt"}, {"writer", "python stdlib \xE2\x9C\x93"}});

    const auto& special = f.at("special");
    CHECK(special.dtype == DType::f32);
    CHECK(special.dims == Dims{2, 3});
    const auto s = special.values<float>();
    CHECK(bits_of(s[0]) == 0x7FC00001u);
    CHECK(s[1] == std::numeric_limits<float>::infinity());
    CHECK(s[2] == -std::numeric_limits<float>::infinity());
    CHECK(bits_of(s[3]) == 0x80000000u);
    CHECK(s[4] == std::numeric_limits<float>::denorm_min());
    CHECK(s[5] == 3.5f);

    const auto w = f.at("layer.0/weight").to_tensor<float, graft::Shape<64, 33>>();
    for (std::size_t i = 0; i < 64 * 33; ++i) REQUIRE(w.data()[i] == static_cast<float>(static_cast<double>(i) * 0.25 - 100.0));
    CHECK(f.at(emoji_name).values<double>() == std::vector<double>{3.141592653589793});
    CHECK(f.at(emoji_name).dims.empty());
    CHECK(f.at("labels").values<std::int32_t>() == std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), -1});
    const auto px = f.at("pixels").values<std::uint8_t>();
    REQUIRE(px.size() == 256);
    for (std::size_t i = 0; i < 256; ++i) CHECK(px[i] == i);
    CHECK(f.at("empty_a").dims == Dims{0});
    CHECK(f.at("empty_b").dims == Dims{3, 0});
    CHECK(f.at("empty_b").data.empty());
}

// ---------------------------------------------------------------------------------------------------
// Typed access and name matching

TEST_CASE("typed access to a loaded tensor names it when dtype, shape or name do not match", "[io][safetensors]") {
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const auto f = parse_safetensors(safetensors_bytes(std::vector<TensorRef>{{"w", DType::f32, {2, 3}, x}}));
    CHECK_THAT(error_of([&] { (void)(f.at("w").to_tensor<float, graft::Shape<3, 2>>()); }), Catch::Matchers::Contains("tensor \"w\": expected f32 Shape<3,2>, found f32 Shape<2,3>"));
    CHECK_THAT(error_of([&] { (void)(f.at("w").to_tensor<double, graft::Shape<2, 3>>()); }), Catch::Matchers::Contains("expected f64 Shape<2,3>, found f32 Shape<2,3>"));
    CHECK_THAT(error_of([&] { (void)f.at("w").values<std::int32_t>(); }), Catch::Matchers::Contains("expected i32, found f32"));
    CHECK_THAT(error_of([&] { (void)f.at("v"); }), Catch::Matchers::Contains("expected a tensor named \"v\", found none among \"w\""));
    CHECK((f.at("w").to_tensor<float, graft::Shape<2, 3>>()(1, 2)) == 6.f);
}

// ---------------------------------------------------------------------------------------------------
// Writer errors

TEST_CASE("save_safetensors rejects duplicate, reserved and non-UTF-8 names and null data", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_save_errors");
    const auto path = dir.file("x.safetensors");
    const float v[2] = {1, 2};
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"a", DType::f32, {1}, v}, {"a", DType::f32, {1}, v}}); }), Catch::Matchers::Contains("save_safetensors: " + path + ": expected unique tensor names, found the name \"a\" twice"));
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"__metadata__", DType::f32, {1}, v}}); }), Catch::Matchers::Contains("reserved \"__metadata__\""));
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"bad\xFF", DType::f32, {1}, v}}); }), Catch::Matchers::Contains("expected tensor names in UTF-8, found invalid byte 0xff"));
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"a", DType::f32, {1}, v}}, {{"k", "\xC0\xAF"}}); }), Catch::Matchers::Contains("expected metadata values in UTF-8"));
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"a", DType::f32, {2}, nullptr}}); }), Catch::Matchers::Contains("expected data for tensor \"a\", found a null pointer"));
    CHECK_THAT(error_of([&] { (void)save_safetensors(path, {{"a", DType::f32, {std::size_t{1} << 62, 8}, v}}); }), Catch::Matchers::Contains("tensor \"a\" of at most 2^64-1"));
    CHECK(dir.entries().empty());  // nothing was created
}

TEST_CASE("save_safetensors that fails leaves the previous checkpoint intact", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_save_fails");
    const auto path = dir.file("ckpt.safetensors");
    const float v[2] = {1, 2};
    save_safetensors(path, {{"a", DType::f32, {2}, v}});
    const std::string before = slurp(path);
    CHECK_THROWS_AS(save_safetensors(path, {{"a", DType::f32, {2}, v}, {"a", DType::f32, {2}, v}}), graft::Error);
    CHECK_THAT(error_of([&] { (void)save_safetensors(dir.file("missing/ckpt.safetensors"), {{"a", DType::f32, {2}, v}}); }), Catch::Matchers::Contains("No such file or directory"));
    fs::create_directory(dir.file("adir"));
    CHECK_THAT(error_of([&] { (void)save_safetensors(dir.file("adir"), {{"a", DType::f32, {2}, v}}); }), Catch::Matchers::Contains("found a directory"));
    CHECK(slurp(path) == before);
    CHECK(dir.entries() == std::vector<std::string>{"adir", "ckpt.safetensors"});
}

// ---------------------------------------------------------------------------------------------------
// Malformed files: each must be a graft::Error "load_safetensors: <path>: expected ..., found ..." naming the problem

namespace {

struct Malformed {
    std::string name;
    std::string bytes;
    std::vector<std::string> needles;  // substrings the message must contain
};

std::vector<Malformed> malformed_files() {
    const std::string a8 = entry("a", "F32", "[2]", "[0,8]");
    const std::string d8(8, '\x11');
    std::string deep = "{\"__metadata__\":{\"k\":";  // scanned only to describe the wrong value in the error
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    deep += "}}";
    std::string wide = "{\"__metadata__\":{\"k\":[0";  // a million items, scanned but never stored
    for (int i = 1; i < 1'000'000; ++i) wide += ",0";
    wide += "]}}";
    std::string dos = "{";  // ten tensors on the same 16 bytes (safetensors' test_json_attack)
    for (int i = 0; i < 10; ++i) dos += (i ? "," : "") + entry("t" + std::to_string(i), "F32", "[4]", "[0,16]");
    dos += "}";
    return {
        {"an empty file", "", {"expected at least 8 bytes (the header length), found a file of 0 bytes"}},
        {"a 5-byte file", std::string("\x05\x00\x00\x00\x00", 5), {"found a file of 5 bytes"}},
        {"a header length just over the 100 MB cap", le64(100'000'001) + "{}", {"expected a header length of at most 100000000 bytes, found 100000001"}},
        {"a header length of 2^64-1 (8 + N overflows)", le64(~std::uint64_t{0}) + "{}", {"at most 100000000 bytes, found 18446744073709551615"}},
        {"a header length past the end of the file", le64(1000) + "{\"a\":1}", {"expected a header of 1000 bytes after the 8-byte length, found only 7 bytes"}},
        {"a header with a non-UTF-8 byte", image("{\"a\xFF\":{}}", ""), {"expected a UTF-8 encoded header, found invalid UTF-8 byte 0xff at header byte 3"}},
        {"a header with an overlong UTF-8 sequence", image("{\"\xC0\xAF\":{}}", ""), {"invalid UTF-8 byte 0xc0 at header byte 2"}},
        {"a header with a UTF-8-encoded surrogate", image("{\"\xED\xA0\x80\":{}}", ""), {"invalid UTF-8 byte 0xed"}},
        {"a header cut short inside a UTF-8 sequence", image("{\"\xE2\x9C", ""), {"invalid UTF-8 byte 0xe2"}},
        {"invalid JSON: the object is not closed", image("{" + a8, d8), {"',' or '}' in a JSON object (invalid JSON)", "found the end of the header"}},
        {"invalid JSON: a trailing comma", image("{" + a8 + ",}", d8), {"expected a string key in a JSON object (invalid JSON), found '}'"}},
        {"invalid JSON: single-quoted key", image("{'a':1}", ""), {"a string key in a JSON object (invalid JSON), found '''"}},
        {"invalid JSON: a bare word", image("{\"a\":nul}", ""), {"expected a JSON value (invalid JSON)"}},
        {"invalid JSON: a number with leading zeros", image("{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", d8), {"no leading zeros"}},
        {"invalid JSON: a raw newline inside a string", image("{\"a\nb\":1}", ""), {"no raw control characters in a JSON string"}},
        {"invalid JSON: an unknown escape", image("{\"a\\x\":1}", ""), {"after '\\' (invalid JSON), found 'x'"}},
        {"invalid JSON: a lone low surrogate", image("{\"\\udc00\":1}", ""), {"a high surrogate before a low one"}},
        {"invalid JSON: a high surrogate without its low half", image("{\"\\ud83dx\":1}", ""), {"a \\u low surrogate after a high surrogate"}},
        {"invalid JSON: a short \\u escape", image("{\"\\u12\"}", ""), {"four hex digits after \\u"}},
        {"invalid JSON: nesting deeper than 64", image(deep, ""), {"JSON nested at most 64 levels deep"}},
        {"invalid JSON: text after the object", image("{} x", ""), {"only whitespace after the header's JSON object (invalid JSON), found 'x' at header byte 3"}},
        {"a header padded with NUL bytes instead of spaces", image(std::string("{}\0\0\0\0\0\0", 8), ""), {"only whitespace after", "found byte 0x00 at header byte 2"}},
        {"a header that starts with '['", image("[]", ""), {"expected a JSON object header starting with '{', found '['"}},
        {"a header that starts with a space", image(" {}", ""), {"starting with '{', found ' '"}},
        {"an empty header", image("", ""), {"starting with '{', found an empty header"}},
        {"an unknown dtype", image("{" + entry("a", "F33", "[2]", "[0,8]") + "}", d8), {"expected dtype F32, F64, I32 or U8 for tensor \"a\", found unknown dtype \"F33\""}},
        {"dtype F16", image("{" + entry("h", "F16", "[4]", "[0,8]") + "}", d8), {"found unsupported dtype F16"}},
        {"dtype BF16", image("{" + entry("h", "BF16", "[4]", "[0,8]") + "}", d8), {"found unsupported dtype BF16"}},
        {"dtype I64", image("{" + entry("h", "I64", "[1]", "[0,8]") + "}", d8), {"found unsupported dtype I64"}},
        {"a dtype that is not a string", image("{\"a\":{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}}", d8), {"expected the dtype of tensor \"a\" as a string, found the integer 5"}},
        {"negative data_offsets", image("{" + entry("a", "F32", "[2]", "[-8,0]") + "}", d8), {"BEGIN in the data_offsets of tensor \"a\" as a non-negative integer, found the negative number -8"}},
        {"float data_offsets", image("{" + entry("a", "F32", "[2]", "[0,8.0]") + "}", d8), {"END in the data_offsets of tensor \"a\" as a non-negative integer, found the number 8.0, which is not a plain integer"}},
        {"data_offsets with an exponent", image("{" + entry("a", "F32", "[2]", "[0,8e0]") + "}", d8), {"found the number 8e0, which is not a plain integer"}},
        {"data_offsets beyond 2^64-1", image("{" + entry("a", "F32", "[2]", "[0,18446744073709551616]") + "}", d8), {"found the integer 18446744073709551616, which exceeds 2^64-1"}},
        {"data_offsets given as strings", image("{" + entry("a", "F32", "[2]", "[\"0\",\"8\"]") + "}", d8), {"as a non-negative integer, found the string \"0\""}},
        {"missing data_offsets", image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", d8), {"expected tensor \"a\" to have \"data_offsets\", found no \"data_offsets\" field"}},
        {"missing shape", image("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", d8), {"expected tensor \"a\" to have \"shape\", found no \"shape\" field"}},
        {"missing dtype", image("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", d8), {"expected tensor \"a\" to have \"dtype\""}},
        {"data_offsets with three numbers", image("{" + entry("a", "F32", "[2]", "[0,4,8]") + "}", d8), {"expected data_offsets of tensor \"a\" as [BEGIN, END], found an array of 3 items"}},
        {"END before BEGIN", image("{" + entry("a", "F32", "[0]", "[8,0]") + "}", d8), {"with END >= BEGIN, found [8, 0]"}},
        {"two tensors on the same bytes", image("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[0,8]") + "}", d8),
         {"expected tensor \"b\" to start at data byte 8, right after tensor \"a\"", "found data_offsets [0, 8], overlapping tensor \"a\""}},
        {"ten tensors on 16 bytes (json attack)", image(dos, std::string(16, '\0')), {"overlapping tensor \"t0\""}},
        {"overlapping by four bytes", image("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}", std::string(12, '\0')),
         {"found data_offsets [4, 12], overlapping tensor \"a\""}},
        {"a hole between tensors", image("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[8,12]") + "}", std::string(12, '\0')),
         {"expected tensor \"b\" to start at data byte 4, right after tensor \"a\"", "leaving a hole of 4 unused bytes"}},
        {"a hole before the first tensor", image("{" + entry("a", "F32", "[1]", "[4,8]") + "}", d8), {"to start at data byte 0, at the start of the data", "a hole of 4 unused bytes"}},
        {"trailing bytes after the last tensor", image("{" + a8 + "}", d8 + "xyzw"), {"expected the data to end at byte 8 of the data section", "found 4 trailing bytes after the last tensor"}},
        {"data that ends before the offsets say (truncated file)", image("{" + a8 + "}", "\x01\x02\x03"),
         {"expected tensor \"a\" to end within the 3 data bytes in the file", "5 bytes past the end of the file (truncated?)"}},
        {"a shape whose product overflows", image("{" + entry("a", "U8", "[4294967296,4294967296]", "[0,8]") + "}", d8), {"found shape [4294967296,4294967296], whose element count overflows"}},
        {"a shape whose byte size overflows", image("{" + entry("a", "F64", "[4611686018427387904]", "[0,8]") + "}", d8), {"expected a byte size of tensor \"a\" that fits in 64 bits"}},
        {"END-BEGIN that disagrees with the shape", image("{" + entry("a", "F32", "[3]", "[0,8]") + "}", d8), {"expected tensor \"a\" (F32 Shape<3>) to span 12 bytes, found data_offsets [0, 8] spanning 8 bytes"}},
        {"a shape larger than the data (heap overread bait)", image("{" + entry("a", "F32", "[1000000]", "[0,8]") + "}", d8), {"to span 4000000 bytes"}},
        {"a negative dim", image("{" + entry("a", "F32", "[-1]", "[0,8]") + "}", d8), {"each dim in the shape of tensor \"a\" as a non-negative integer, found the negative number -1"}},
        {"a fractional dim", image("{" + entry("a", "F32", "[2.5]", "[0,8]") + "}", d8), {"found the number 2.5, which is not a plain integer"}},
        {"a shape that is not an array", image("{" + entry("a", "F32", "2", "[0,8]") + "}", d8), {"the shape of tensor \"a\" as an array of non-negative integers, found the integer 2"}},
        {"duplicate tensor names", image("{" + a8 + "," + a8 + "}", d8), {"expected unique tensor names, found the tensor name \"a\" twice"}},
        {"a duplicate key inside a tensor entry", image("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8), {"expected unique keys in each JSON object, found the key \"dtype\" twice"}},
        {"__metadata__ with a number value", image("{\"__metadata__\":{\"epoch\":3}," + a8 + "}", d8), {"expected string values in __metadata__, found the key \"epoch\" holding the integer 3"}},
        {"__metadata__ with a nested object", image("{\"__metadata__\":{\"cfg\":{\"lr\":\"0.1\"}}}", ""), {"the key \"cfg\" holding an object"}},
        {"__metadata__ holding a million-item array", image(wide, ""), {"the key \"k\" holding an array of 1000000 items"}},
        {"__metadata__ twice", image("{\"__metadata__\":{},\"__metadata__\":{}}", ""), {"expected unique keys in each JSON object, found the key \"__metadata__\" twice"}},
        {"a duplicate key inside __metadata__", image("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", ""), {"found the key \"a\" twice (again at header byte 25)"}},
        {"__metadata__ that is an array", image("{\"__metadata__\":[\"a\"]}", ""), {"expected __metadata__ as an object of string values, found an array"}},
        {"a tensor entry that is not an object", image("{\"a\":[0,8]}", d8), {"expected tensor \"a\" as an object {\"dtype\", \"shape\", \"data_offsets\"}, found an array"}},
        {"an unknown field in a tensor entry", image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"strides\":[1]}}", d8), {"found the field \"strides\""}},
    };
}

}  // namespace

TEST_CASE("every malformed safetensors file gives an error naming what was expected and found", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_malformed");
    static const auto cases = malformed_files();  // built once: Catch re-enters this test case once per section
    CHECK(cases.size() >= 25);
    std::size_t i = 0;
    for (const auto& c : cases) {
        const auto path = dir.file("bad_" + std::to_string(i++) + ".safetensors");
        DYNAMIC_SECTION(c.name) {
            spit(path, c.bytes);
            std::string message;
            try {
                (void)load_safetensors(path);
            } catch (const graft::Error& e) {
                message = e.what();
                CHECK_FALSE(e.expected().empty());
                CHECK_FALSE(e.found().empty());
            }
            INFO("message: " << message);
            REQUIRE_FALSE(message.empty());  // it threw graft::Error
            CHECK(message.rfind("graft::Error: load_safetensors: " + path + ": expected ", 0) == 0);
            for (const auto& needle : c.needles) CHECK_THAT(message, Catch::Matchers::Contains(needle));

            // The in-memory reader says the same thing.
            CHECK_THAT(error_of([&] { (void)parse_safetensors(span_of(c.bytes), "mem"); }), Catch::Matchers::StartsWith("graft::Error: parse_safetensors: mem: expected ") &&
                                     Catch::Matchers::Contains(c.needles.front()));
        }
    }
}

TEST_CASE("load_safetensors on a missing file, a directory or a device is an error", "[io][safetensors]") {
    graft_test::ScratchDir dir("st_notfile");
    CHECK_THAT(error_of([&] { (void)load_safetensors(dir.file("missing")); }), Catch::Matchers::Contains("load_safetensors: " + dir.file("missing") + ": cannot open: No such file or directory"));
    CHECK_THAT(error_of([&] { (void)load_safetensors(dir.path().string()); }), Catch::Matchers::Contains("expected a regular file, found a directory"));
    CHECK_THAT(error_of([&] { (void)load_safetensors("/dev/null"); }), Catch::Matchers::Contains("expected a regular file, found a special file"));
}

TEST_CASE("the header parser accepts any JSON layout the format allows", "[io][safetensors]") {
    const std::string d(12, '\0');
    const std::string header = "\t{ \"__metadata__\" : { \"a\\/b\" : \"\\u00e9\\t\\\"\\\\\\b\\f\\n\\r\" } ,\n"
                               "  \"\\ud83d\\ude00\" : { \"data_offsets\" : [ 4 , 12 ] , \"shape\" : [ 2 ] , \"dtype\" : \"I32\" } ,\r\n"
                               "  \"x\":{\"shape\":[],\"dtype\":\"U8\",\"data_offsets\":[3,4]},"
                               "\"e\":{\"dtype\":\"F64\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                               "\"y\":{\"dtype\":\"U8\",\"shape\":[1,1,3],\"data_offsets\":[0,3]}\n}\n\t  ";
    // The leading tab breaks the "starts with '{'" rule; everything after it is fine.
    CHECK_THAT(error_of([&] { (void)parse_safetensors(span_of(image(header, d))); }), Catch::Matchers::Contains("found byte 0x09"));
    const auto f = parse_safetensors(span_of(image(header.substr(1), d)));
    CHECK(f.metadata == std::map<std::string, std::string>{{"a/b", "\xC3\xA9\t\"\\\b\f\n\r"}});
    REQUIRE(f.tensors.size() == 4);
    CHECK(f.tensors[0].name == "\xF0\x9F\x98\x80");
    CHECK(f.tensors[0].dims == Dims{2});
    CHECK(f.tensors[1].name == "x");
    CHECK(f.tensors[1].dims.empty());
    CHECK(f.tensors[2].name == "e");
    CHECK(f.tensors[3].dims == Dims{1, 1, 3});
}

TEST_CASE("every truncation of a valid file is an error, never an out-of-bounds read", "[io][safetensors]") {
    const float w[6] = {1, 2, 3, 4, 5, 6};
    const std::int32_t s = 3;
    const auto full = safetensors_bytes(std::vector<TensorRef>{{"w", DType::f32, {2, 3}, w}, {"s", DType::i32, {}, &s}}, {{"k", "v"}});
    for (std::size_t n = 0; n < full.size(); ++n) {
        // Copy into an exact-size heap buffer so ASan catches any read past it.
        std::vector<unsigned char> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK_THROWS_AS(parse_safetensors(cut), graft::Error);
    }
    CHECK(parse_safetensors(full).tensors.size() == 2);
}

TEST_CASE("random byte corruption of a file either loads or gives graft::Error", "[io][safetensors]") {
    const float w[6] = {1, 2, 3, 4, 5, 6};
    const std::uint8_t u[3] = {1, 2, 3};
    const auto good = safetensors_bytes(std::vector<TensorRef>{{"w", DType::f32, {2, 3}, w}, {"u", DType::u8, {3}, u}}, {{"k", "v"}});
    const std::uint32_t seed = 12345;
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    std::size_t loaded = 0, rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        auto bad = good;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) {
            const std::size_t at = rng() % std::min<std::size_t>(bad.size(), 8 + 120);  // mostly the length and header
            bad[at] = static_cast<unsigned char>(rng());
        }
        try {
            const auto f = parse_safetensors(bad);
            ++loaded;
            for (const auto& r : f.tensors) CHECK(r.data.size() == r.numel() * graft::dtype_size(r.dtype));
        } catch (const graft::Error& e) {
            ++rejected;
            CHECK_THAT(std::string(e.what()), Catch::Matchers::StartsWith("graft::Error: parse_safetensors: <memory>: expected "));
        }
    }
    CHECK(rejected > 0);
    CHECK(loaded + rejected == 3000);
}
