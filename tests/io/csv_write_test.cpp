// SPDX-License-Identifier: MIT
// tests/io/csv_write_test.cpp: io::format_csv / io::write_csv. The exact text written (shortest round-trip
// numbers, a name quoted only when it must be), round trips through parse_csv and read_csv bit for bit
// (NaN, ±inf, -0, subnormals, 17-digit values, floats), every delimiter parse_csv accepts, the errors for
// an inconsistent table, and an atomic write that never leaves a partial file.
#include <catch2/catch.hpp>
#include <graft/io/csv.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/scratch_dir.hpp"

using namespace graft;
using Catch::Matchers::Contains;

namespace {

bool csvw_bitwise_same(const io::CsvTable& a, const io::CsvTable& b) {
    if (a.columns != b.columns || a.rows != b.rows || a.cols != b.cols || a.values.size() != b.values.size()) return false;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        const double x = a.values[i], y = b.values[i];
        if (std::isnan(x) && std::isnan(y) && std::signbit(x) == std::signbit(y)) continue;
        if (std::memcmp(&x, &y, sizeof x) != 0) return false;
    }
    return true;
}

std::string csvw_slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("format_csv writes the header and shortest round-trip numbers, one line per row", "[io][csv][csv-write]") {
    const double inf = std::numeric_limits<double>::infinity();
    const io::CsvTable t{{"x", "y", "z"}, 2, 3, {0.1, -2.0, 1e-300, inf, -inf, -0.0}};
    CHECK(io::format_csv(t) == "x,y,z\n0.1,-2,1e-300\ninf,-inf,-0\n");
    CHECK(io::format_csv(t, {.header = false, .delimiter = ';'}) == "0.1;-2;1e-300\ninf;-inf;-0\n");
    const io::CsvTable n{{"v"}, 2, 1, {std::numeric_limits<double>::quiet_NaN(), 0.30000000000000004}};
    CHECK(io::format_csv(n) == "v\nnan\n0.30000000000000004\n");
}

TEST_CASE("format_csv quotes a name only when a reader would misread it", "[io][csv][csv-write]") {
    const io::CsvTable t{{"a,b", "say \"hi\"", "two\nlines", "", " pad", "plain"}, 1, 6, {1, 2, 3, 4, 5, 6}};
    CHECK(io::format_csv(t) == "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\",\" pad\",plain\n1,2,3,4,5,6\n");
    // a lone empty name would read as an empty line; a first name starting with a BOM would lose it
    CHECK(io::format_csv(io::CsvTable{{""}, 1, 1, {7}}) == "\"\"\n7\n");
    CHECK(io::format_csv(io::CsvTable{{"\xEF\xBB\xBFid"}, 1, 1, {7}}) == "\"\xEF\xBB\xBFid\"\n7\n");
    // with ';' as delimiter a comma needs no quotes, a semicolon does
    CHECK(io::format_csv(io::CsvTable{{"a,b", "c;d"}, 0, 2, {}}, {.header = true, .delimiter = ';'}) == "a,b;\"c;d\"\n");
    // a delimiter that occurs inside numbers ('e' in 1e-05) quotes those numbers
    CHECK(io::format_csv(io::CsvTable{{"p", "q"}, 1, 2, {1e-5, 2}}, {.header = true, .delimiter = 'e'}) == "peq\n\"1e-05\"e2\n");
}

TEST_CASE("parse_csv(format_csv(t)) gives t back bit for bit, for every delimiter", "[io][csv][csv-write]") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const io::CsvTable t{{"id", "a,b", "q\"", "x y"}, 3, 4,
                         {1, 0.1, -0.0, 5e-324, nan, -nan, inf, -inf, 1.7976931348623157e308, 2.2250738585072014e-308, 1.0 / 3.0, -123456789.0}};
    for (char d : {',', ';', '\t', '|', ' ', ':', '1', 'e'}) {
        INFO("delimiter '" << d << "'");
        for (bool header : {true, false}) {
            const io::CsvOptions o{.header = header, .delimiter = d};
            const std::string text = io::format_csv(t, o);
            io::CsvTable want = t;
            if (!header) want.columns.clear();
            const io::CsvTable back = io::parse_csv(text, o);
            CHECK(csvw_bitwise_same(back, want));
            CHECK(io::format_csv(back, o) == text);  // a fixed point
        }
    }
}

TEST_CASE("write_csv of a float tensor reads back as the same floats; of a table, atomically", "[io][csv][csv-write]") {
    graft_test::ScratchDir dir("csv_write");
    Tensor<float, Shape<2, 3>> x{{0.1f, -1.5f, 3.4028235e38f}, {1e-45f, 16777217.0f, -0.0f}};
    const std::string p = dir.file("x.csv");
    io::write_csv(p, x, {"a", "b", "c"});
    CHECK(csvw_slurp(p) == "a,b,c\n0.1,-1.5,3.4028235e+38\n1e-45,16777216,-0\n");
    const auto y = io::read_csv<float, Shape<2, 3>>(p);
    CHECK(std::memcmp(x.data(), y.data(), sizeof(float) * 6) == 0);

    const io::CsvTable t{{"k"}, 2, 1, {1, 2}};
    io::write_csv(p, t);
    CHECK(csvw_slurp(p) == "k\n1\n2\n");
    CHECK(dir.entries() == std::vector<std::string>{"x.csv"});  // the temporary was renamed, nothing left over
    // a failed write leaves the previous file as it was
    CHECK_THAT(graft_test::error_of([&] { io::write_csv(p, io::CsvTable{{"k"}, 2, 1, {1}}); }), Contains("write_csv: " + p));
    CHECK(csvw_slurp(p) == "k\n1\n2\n");
    CHECK_THAT(graft_test::error_of([&] { io::write_csv(dir.file("missing/x.csv"), t); }), Contains("No such file or directory"));
}

TEST_CASE("format_csv refuses an inconsistent table, a NUL in a name and a delimiter parse_csv refuses", "[io][csv][csv-write]") {
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{"a", "b"}, 2, 2, {1, 2, 3}}); }) ==
          "graft::Error: format_csv: expected 2 x 2 values, found 3");
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{"a"}, 1, 2, {1, 2}}); }) ==
          "graft::Error: format_csv: expected a name for each of the 2 columns (options.header is on), found 1 name");
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{}, 0, 0, {}}); }) ==
          "graft::Error: format_csv: expected a name for each of the 0 columns (options.header is on), found 0 names");
    CHECK(io::format_csv(io::CsvTable{{}, 0, 0, {}}, {.header = false}).empty());
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{}, 2, 0, {}}, {.header = false}); }) ==
          "graft::Error: format_csv: expected at least one column in a table with rows, found 2 rows of 0 columns");
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{std::string("a\0b", 3)}, 0, 1, {}}); }) ==
          "graft::Error: format_csv: expected column names without NUL bytes, found an embedded NUL in the name \"a\\0b\"");
    CHECK(graft_test::error_of([] { (void)io::format_csv(io::CsvTable{{"a"}, 1, 1, {1}}, {.header = true, .delimiter = '"'}); }) ==
          "graft::Error: format_csv: expected a delimiter other than '\"', CR, LF and NUL, found delimiter \"\"\"");
}
