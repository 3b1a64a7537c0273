// SPDX-License-Identifier: MIT
// tests/io/csv_test.cpp: io::parse_csv / io::read_csv: RFC 4180 quoting, line endings, BOM, locale-independent
// numbers, the typed Tensor reader, and the bad inputs of TESTING.md §2.6 (each an error naming row and column).
#include <catch2/catch.hpp>
#include <graft/io/csv.hpp>

#include <atomic>
#include <clocale>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <locale>
#include <random>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"

using namespace graft;
using Catch::Matchers::Contains;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

/// Runs f, which must throw graft::Error; returns its message (fails the test otherwise).
std::string csv_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const graft::Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("threw a std::exception that is not graft::Error: " << e.what());
    }
    FAIL("no exception thrown");
    return {};
}

struct BadCsv {
    const char* name;
    std::string text;
    io::CsvOptions options;
    std::string message;  ///< the whole message after "graft::Error: parse_csv: "
};

}  // namespace

// --------------------------------------------------------------------------------------------- valid input

TEST_CASE("parse_csv reads a header and rows of numbers", "[io][csv]") {
    const auto t = io::parse_csv("x,y,label\n1.5,-2,0\n3,4e2,1\n");
    CHECK(t.columns == std::vector<std::string>{"x", "y", "label"});
    CHECK(t.rows == 2);
    CHECK(t.cols == 3);
    CHECK(t.values == std::vector<double>{1.5, -2, 0, 3, 400, 1});
    CHECK(t.at(1, 1) == 400);
    CHECK(t.row(0)[2] == 0);
    CHECK_THAT(csv_error_of([&] { (void)t.at(2, 0); }), Contains("CsvTable::at: expected a row below 2"));
    CHECK_THAT(csv_error_of([&] { (void)t.at(0, 3); }), Contains("found (0, 3)"));
    CHECK_THAT(csv_error_of([&] { (void)t.row(2); }), Contains("CsvTable::row: expected a row below 2, found 2"));
}

TEST_CASE("quoted fields hold delimiters, newlines and doubled quotes (RFC 4180)", "[io][csv]") {
    const auto t = io::parse_csv("\"a,b\",\"line\nbreak\",\"say \"\"hi\"\"\",\"\"\"x\"\"\",\"\"\n"
                                 "\"1\",2,\" 3 \",4,5\n");
    CHECK(t.columns == std::vector<std::string>{"a,b", "line\nbreak", "say \"hi\"", "\"x\"", ""});
    CHECK(t.values == std::vector<double>{1, 2, 3, 4, 5});
}

TEST_CASE("a quoted comma only in the first line does not lose the rows (LaF#21)", "[io][csv]") {
    const auto t = io::parse_csv("\"weight, kg\",height\n70,1.8\n80,1.9\n90,2.0\n");
    CHECK(t.rows == 3);
    CHECK(t.at(2, 0) == 90);
}

TEST_CASE("CRLF, a lone CR, no final newline and trailing empty lines all parse the same", "[io][csv]") {
    const std::vector<double> expected{1, 2, 3, 4};
    for (const std::string& text : {"a,b\n1,2\n3,4\n"s, "a,b\r\n1,2\r\n3,4\r\n"s, "a,b\n1,2\n3,4"s, "a,b\r\n1,2\r\n3,4"s,
                                   "a,b\n1,2\n3,4\n\n"s, "a,b\r\n1,2\r\n3,4\r\n\r\n\r\n"s, "a,b\r1,2\r3,4\r"s}) {
        INFO(text);
        const auto t = io::parse_csv(text);
        CHECK(t.rows == 2);
        CHECK(t.values == expected);
    }
}

TEST_CASE("a UTF-8 byte-order mark is skipped, a UTF-16 one is an error", "[io][csv]") {
    const auto t = io::parse_csv("\xEF\xBB\xBFid,v\n1,2\n");
    CHECK(t.columns[0] == "id");
    CHECK(t.at(0, 1) == 2);
    CHECK(csv_error_of([] { (void)io::parse_csv("\xFF\xFEi\0d\0"s); }) ==
          "graft::Error: parse_csv: expected UTF-8 text, found a UTF-16 byte-order mark");
}

TEST_CASE("a header-only file has 0 rows; no header makes every record data", "[io][csv]") {
    const auto h = io::parse_csv("a;b;c\r\n", {.header = true, .delimiter = ';'});
    CHECK(h.rows == 0);
    CHECK(h.cols == 3);
    CHECK(h.values.empty());
    const auto n = io::parse_csv("1,2\n3,4\n", {.header = false});
    CHECK(n.columns.empty());
    CHECK(n.rows == 2);
    CHECK(n.values == std::vector<double>{1, 2, 3, 4});
    const auto e = io::parse_csv("", {.header = false});
    CHECK(e.rows == 0);
    CHECK(e.cols == 0);
}

TEST_CASE("';' and tab delimiters; a decimal point is always '.'", "[io][csv]") {
    const auto s = io::parse_csv("a;\"b;c\"\n1.5;-2.5\n", {.header = true, .delimiter = ';'});
    CHECK(s.columns == std::vector<std::string>{"a", "b;c"});
    CHECK(s.values == std::vector<double>{1.5, -2.5});
    const auto t = io::parse_csv("1\t2\n3\t4\n", {.header = false, .delimiter = '\t'});
    CHECK(t.values == std::vector<double>{1, 2, 3, 4});
}

TEST_CASE("numbers: leading '+', nan, inf, exponents, subnormals, surrounding blanks", "[io][csv]") {
    const auto t = io::parse_csv("v\n+1.25\n-0\nnan\n-inf\n+inf\nInfinity\nNaN\n1e308\n4.9e-324\n.5\n7.\n \t3\t \n1e-400\n-1e-400\n",
                                 {});
    REQUIRE(t.rows == 14);
    CHECK(t.at(0, 0) == 1.25);
    CHECK(t.at(1, 0) == 0.0);
    CHECK(std::signbit(t.at(1, 0)));
    CHECK(std::isnan(t.at(2, 0)));
    CHECK(t.at(3, 0) == -INFINITY);
    CHECK(t.at(4, 0) == INFINITY);
    CHECK(t.at(5, 0) == INFINITY);
    CHECK(std::isnan(t.at(6, 0)));
    CHECK(t.at(7, 0) == 1e308);
    CHECK(t.at(8, 0) == 4.9e-324);
    CHECK(t.at(9, 0) == 0.5);
    CHECK(t.at(10, 0) == 7.0);
    CHECK(t.at(11, 0) == 3.0);
    // below half the smallest subnormal: rounds to a signed zero, as IEEE round-to-nearest does
    CHECK(t.at(12, 0) == 0.0);
    CHECK(std::signbit(t.at(13, 0)));
    // exact decimal to binary: the nearest double, not an approximation
    CHECK(io::parse_csv("0.1,0.2,0.30000000000000004\n", {.header = false}).values ==
          std::vector<double>{0.1, 0.2, 0.30000000000000004});
}

TEST_CASE("number parsing ignores the C and the C++ global locale", "[io][csv]") {
    struct CommaDecimal : std::numpunct<char> {
        char do_decimal_point() const override { return ','; }
    };
    const std::locale old_cpp = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
    const std::string old_c = std::setlocale(LC_ALL, nullptr);
    bool c_locale_set = false;
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"})
        if (std::setlocale(LC_ALL, name)) {
            c_locale_set = true;
            break;
        }
    if (!c_locale_set) WARN("no comma-decimal C locale installed; only the C++ global locale was changed");
    const auto t = io::parse_csv("a;b\n1.5;2.25\n", {.header = true, .delimiter = ';'});
    const std::string err = csv_error_of([] { (void)io::parse_csv("a;b\n1,5;2\n", {.header = true, .delimiter = ';'}); });
    std::setlocale(LC_ALL, old_c.c_str());
    std::locale::global(old_cpp);
    CHECK(t.at(0, 0) == 1.5);
    CHECK(t.at(0, 1) == 2.25);
    CHECK_THAT(err, Contains("row 2, column 1 (\"a\"): expected a number, found \"1,5\""));
}

TEST_CASE("a field that straddles a 64 KiB boundary parses whole (FastCSV#67)", "[io][csv]") {
    graft_test::ScratchDir dir("csv_test");
    std::string text = "\"" + std::string(65530, 'h') + "\",b\n";
    std::vector<double> expected;
    for (int i = 0; i < 20000; ++i) {
        text += "12345.678" + std::to_string(i) + ",\"" + std::to_string(-i) + "\"\n";
        expected.push_back(std::stod("12345.678" + std::to_string(i)));
        expected.push_back(-i);
    }
    const auto t = io::read_csv(dir.write("wide.csv", text));
    CHECK(t.columns[0].size() == 65530);
    REQUIRE(t.rows == 20000);
    CHECK(t.values == expected);
}

TEST_CASE("read_csv reads a file; the typed reader returns a Tensor and checks its shape", "[io][csv]") {
    graft_test::ScratchDir dir("csv_test");
    const std::string p = dir.write("t.csv", "a,b,c\r\n1,2,3\r\n4,5,6.5\r\n");
    const auto t = io::read_csv(p);
    CHECK(t.at(1, 2) == 6.5);
    const auto f = io::read_csv<float, Shape<2, 3>>(p);
    CHECK(f(0, 0) == 1.f);
    CHECK(f(1, 2) == 6.5f);
    const auto d = io::parse_csv<double, Shape<3, 2>>("0.1,1\n0.2,2\n0.3,3\n", {.header = false});
    CHECK(d(2, 0) == 0.3);
    // typed float parsing rounds once, from decimal straight to float
    CHECK(io::parse_csv<float, Shape<1, 1>>("x\n0.1\n")(0, 0) == 0.1f);
    CHECK(io::parse_csv<float, Shape<1, 1>>("x\n1e-50\n")(0, 0) == 0.0f);
    CHECK(csv_error_of([&] { (void)io::read_csv<float, Shape<3, 3>>(p); }) ==
          "graft::Error: read_csv: " + p +
              ": expected Shape<3,3> (3 data rows of 3 columns), found Shape<2,3> (2 data rows of 3 columns)");
    CHECK_THAT(csv_error_of([&] { (void)io::read_csv<double, Shape<2, 2>>(p); }),
               Contains("expected Shape<2,2> (2 data rows of 2 columns), found Shape<2,3>"));
    CHECK_THAT(csv_error_of([&] { (void)io::read_csv(dir.path().string() + "/missing.csv"); }),
               Contains("read_csv: " + dir.path().string() + "/missing.csv: cannot open"));
    CHECK_THAT(csv_error_of([&] { (void)io::read_csv(dir.path().string()); }),
               Contains("expected a regular file, found a directory"));
    // errors from a file name the file
    const std::string bad = dir.write("bad.csv", "a,b\n1,2\n3,x\n");
    CHECK(csv_error_of([&] { (void)io::read_csv(bad); }) ==
          "graft::Error: read_csv: " + bad + ": row 3, column 2 (\"b\"): expected a number, found \"x\"");
    CHECK_THAT(csv_error_of([&] { (void)io::read_csv<float, Shape<2, 2>>(bad); }), Contains("row 3, column 2"));
}

// ------------------------------------------------------------------------------------------- malformed input

TEST_CASE("malformed CSV is an error naming the row and the column", "[io][csv]") {
    const io::CsvOptions semicolon{.header = true, .delimiter = ';'};
    const io::CsvOptions no_header{.header = false, .delimiter = ','};
    const std::vector<BadCsv> cases = {
        {"ragged row: too few fields", "a,b,c\n1,2,3\n4,5\n", {},
         "row 3: expected 3 fields (as in row 1, the header), found 2 fields"},
        {"ragged row: too many fields", "a,b\n1,2\n3,4,5\n", {},
         "row 3: expected 2 fields (as in row 1, the header), found 3 fields"},
        {"ragged row without a header", "1,2\n3\n", no_header, "row 2: expected 2 fields (as in row 1), found 1 field"},
        {"trailing delimiter makes an extra field", "a,b\n1,2,\n", {},
         "row 2: expected 2 fields (as in row 1, the header), found 3 fields"},
        {"non-numeric cell", "a,b\n1,abc\n", {}, "row 2, column 2 (\"b\"): expected a number, found \"abc\""},
        {"empty cell", "a,b,c\n1,,3\n", {}, "row 2, column 2 (\"b\"): expected a number, found an empty cell"},
        {"empty last cell", "a,b,c\n1,2,\n", {}, "row 2, column 3 (\"c\"): expected a number, found an empty cell"},
        {"\"\" is one empty field (scala-csv#33)", "a,b\n1,\"\"\n", {},
         "row 2, column 2 (\"b\"): expected a number, found an empty cell"},
        {"blank cell", "a,b\n1, \t \n", {}, "row 2, column 2 (\"b\"): expected a number, found an empty cell"},
        {"embedded NUL", "a,b\n1,2\0003\n"s, {},
         "row 2, column 2 (\"b\"): expected text without NUL bytes, found an embedded NUL in \"2\\03\""},
        {"embedded NUL in a quoted field", "a,b\n1,\"\0\"\n"s, {},
         "row 2, column 2 (\"b\"): expected text without NUL bytes, found an embedded NUL in \"\\0\""},
        {"1e999 overflows", "a\n1e999\n", {},
         "row 2, column 1 (\"a\"): expected a number within the range of f64 (largest 1.8e308), found \"1e999\", out of range"},
        {"-1e999 overflows", "a\n-1e999\n", {},
         "row 2, column 1 (\"a\"): expected a number within the range of f64 (largest 1.8e308), found \"-1e999\", out of range"},
        {"hexadecimal", "a\n0x10\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"0x10\""},
        {"decimal comma", "a;b\n1,5;2\n", semicolon, "row 2, column 1 (\"a\"): expected a number, found \"1,5\""},
        {"two signs", "a\n+-1\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"+-1\""},
        {"a lone sign", "a\n+\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"+\""},
        {"exponent without digits", "a\n1e\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"1e\""},
        {"two decimal points", "a\n1.5.2\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"1.5.2\""},
        {"space inside a number", "a\n1 2\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"1 2\""},
        {"nan followed by text", "a\nnanx\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"nanx\""},
        {"quoted text with escaped quotes", "a\n\"1\"\"\"\n", {}, "row 2, column 1 (\"a\"): expected a number, found \"1\"\""},
        {"unterminated quote", "a,b\n1,\"2\n3,4\n", {},
         "row 2, column 2 (\"b\"): expected a closing quote for the field opened there, found the end of the text"},
        {"text after a closing quote", "a,b\n\"1\"2,3\n", {},
         "row 2, column 1 (\"a\"): expected a delimiter or a line break after the closing quote, found \"2\""},
        {"quote inside an unquoted field", "a,b\n1,2\"3\"\n", {},
         "row 2, column 2 (\"b\"): expected a quote only around a whole field (RFC 4180), found a quote inside the "
         "unquoted field \"2\"\""},
        {"empty line between rows", "a,b\n1,2\n\n3,4\n", {}, "row 3: expected 2 fields, found an empty line"},
        {"empty first line", "\na,b\n1,2\n", {}, "row 1: expected a header row, found an empty line"},
        {"empty text with a header expected", "", {}, "expected a header row, found an empty text"},
        {"only a byte-order mark and line breaks", "\xEF\xBB\xBF\r\n\r\n", {}, "expected a header row, found an empty text"},
        {"a quote as delimiter", "a\n1\n", {.header = true, .delimiter = '"'},
         "expected a delimiter other than '\"', CR, LF and NUL, found delimiter \"\"\""},
        {"a row after a quoted newline reports its line too", "a,\"b\nB\"\n1,2\n3,x\n", {},
         "row 3 (line 4), column 2 (\"b\\nB\"): expected a number, found \"x\""},
    };
    REQUIRE(cases.size() >= 20);
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        CHECK(csv_error_of([&] { (void)io::parse_csv(c.text, c.options); }) == "graft::Error: parse_csv: " + c.message);
    }
}

TEST_CASE("the typed reader refuses values a float cannot hold", "[io][csv]") {
    CHECK(csv_error_of([] { (void)io::parse_csv<float, Shape<1, 2>>("a,b\n1,1e39\n"); }) ==
          "graft::Error: parse_csv: row 2, column 2 (\"b\"): expected a number within the range of f32 (largest 3.4e38), "
          "found \"1e39\", out of range");
    CHECK(io::parse_csv<double, Shape<1, 2>>("a,b\n1,1e39\n")(0, 1) == 1e39);
}
