// SPDX-License-Identifier: MIT
// tests/tensor/print_test.cpp: NumPy-style text, exact strings. Numbers are the shortest text that reads back
// exactly (so 0.1f prints "0.1"), independent of the locale; NaN and infinities print as nan, inf, -inf.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <locale>
#include <sstream>
#include <string>
#include <utility>

using namespace graft;

TEST_CASE("a 2x2 sum prints as [[6, 8], [10, 12]] for every element type", "[tensor][print]") {
    CHECK(to_string(Tensor<float, Shape<2, 2>>{{6, 8}, {10, 12}}) == "[[6, 8], [10, 12]]");
    CHECK(to_string(Tensor<double, Shape<2, 2>>{{6, 8}, {10, 12}}) == "[[6, 8], [10, 12]]");
    CHECK(to_string(Tensor<std::int32_t, Shape<2, 2>>{{6, 8}, {10, 12}}) == "[[6, 8], [10, 12]]");
    CHECK(to_string(Tensor<std::uint8_t, Shape<2, 2>>{{6, 8}, {10, 12}}) == "[[6, 8], [10, 12]]");
}

TEST_CASE("a rank-0 tensor prints as a bare number", "[tensor][print]") {
    CHECK(to_string(Tensor<float, Shape<>>{3.f}) == "3");
    CHECK(to_string(Tensor<double, Shape<>>{-2.5}) == "-2.5");
    CHECK(to_string(Tensor<int, Shape<>>{7}) == "7");
}

TEST_CASE("vectors and rank-3 tensors nest brackets per axis", "[tensor][print]") {
    CHECK(to_string(Tensor<int, Shape<3>>{1, 2, 3}) == "[1, 2, 3]");
    CHECK(to_string(Tensor<int, Shape<1>>{5}) == "[5]");
    CHECK(to_string(arange<int, Shape<2, 2, 2>>()) == "[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]");
    CHECK(to_string(arange<int, Shape<1, 3, 1>>()) == "[[[0], [1], [2]]]");
    CHECK(to_string(arange<int, Shape<2, 1, 1, 2>>()) == "[[[[0, 1]]], [[[2, 3]]]]");
}

TEST_CASE("empty tensors print their brackets down to the empty axis", "[tensor][print]") {
    CHECK(to_string(Tensor<float, Shape<0>>{}) == "[]");
    CHECK(to_string(Tensor<float, Shape<0, 3>>{}) == "[]");
    CHECK(to_string(Tensor<float, Shape<2, 0>>{}) == "[[], []]");
    CHECK(to_string(Tensor<int, Shape<2, 0, 3>>{}) == "[[], []]");
}

TEST_CASE("floats print the shortest text that reads back exactly", "[tensor][print]") {
    CHECK(to_string(Tensor<float, Shape<>>{0.1f}) == "0.1");
    CHECK(to_string(Tensor<double, Shape<>>{0.1}) == "0.1");
    CHECK(to_string(Tensor<float, Shape<>>{1.f / 3.f}) == "0.33333334");
    CHECK(to_string(Tensor<double, Shape<>>{1.0 / 3.0}) == "0.3333333333333333");
    CHECK(to_string(Tensor<double, Shape<>>{static_cast<double>(0.1f)}) == "0.10000000149011612");
    CHECK(to_string(Tensor<float, Shape<3>>{1.5f, -0.25f, 100.f}) == "[1.5, -0.25, 100]");
    CHECK(to_string(Tensor<float, Shape<>>{1e20f}) == "1e+20");
    CHECK(to_string(Tensor<float, Shape<>>{1.5e-7f}) == "1.5e-07");
    CHECK(to_string(Tensor<float, Shape<>>{-0.f}) == "-0");
    CHECK(to_string(Tensor<float, Shape<>>{16777216.f}) == "16777216");
}

TEST_CASE("NaN and infinities print as nan, inf and -inf", "[tensor][print]") {
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(to_string(Tensor<float, Shape<4>>{std::nanf(""), inf, -inf, -std::nanf("")}) == "[nan, inf, -inf, nan]");
    CHECK(to_string(Tensor<double, Shape<>>{-std::numeric_limits<double>::infinity()}) == "-inf");
}

TEST_CASE("integers print in full, uint8 as a number rather than a character", "[tensor][print]") {
    CHECK(to_string(Tensor<std::int32_t, Shape<3>>{std::numeric_limits<std::int32_t>::min(), 0,
                                                   std::numeric_limits<std::int32_t>::max()}) ==
          "[-2147483648, 0, 2147483647]");
    CHECK(to_string(Tensor<std::uint8_t, Shape<3>>{0, 65, 255}) == "[0, 65, 255]");
}

TEST_CASE("operator<< writes the same text for tensors and views", "[tensor][print]") {
    Tensor<float, Shape<2, 2>> t{{6, 8}, {10, 12}};
    std::ostringstream a, b;
    a << t;
    b << t.view() << ';' << std::as_const(t).view();
    CHECK(a.str() == "[[6, 8], [10, 12]]");
    CHECK(b.str() == "[[6, 8], [10, 12]];[[6, 8], [10, 12]]");
}

namespace {
struct CommaDecimal : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
};
}  // namespace

TEST_CASE("printing ignores the stream's locale", "[tensor][print]") {
    std::ostringstream os;
    os.imbue(std::locale(std::locale::classic(), new CommaDecimal));
    os << Tensor<double, Shape<2>>{0.5, 1234567.0} << ' ' << 0.5;
    CHECK(os.str() == "[0.5, 1234567] 0,5");  // the trailing number shows the locale is really active
}

TEST_CASE("a view of external data prints like a tensor", "[tensor][print]") {
    const double d[3] = {1.25, 2.0, -3.5};
    CHECK(to_string(TensorView<const double, Shape<3>>(d)) == "[1.25, 2, -3.5]");
}
