// SPDX-License-Identifier: MIT
// tests/core/dtype_test.cpp: DType tags, dtype_of, names, sizes and the Element concepts.
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <cstdint>

using namespace graft;

TEST_CASE("dtype_of maps the four element types to their tags", "[core][dtype]") {
    STATIC_REQUIRE(dtype_of<float> == DType::f32);
    STATIC_REQUIRE(dtype_of<double> == DType::f64);
    STATIC_REQUIRE(dtype_of<std::int32_t> == DType::i32);
    STATIC_REQUIRE(dtype_of<std::uint8_t> == DType::u8);
}

TEST_CASE("dtype names are the short forms printed in graphs", "[core][dtype]") {
    CHECK(dtype_name(DType::f32) == "f32");
    CHECK(dtype_name(DType::f64) == "f64");
    CHECK(dtype_name(DType::i32) == "i32");
    CHECK(dtype_name(DType::u8) == "u8");
}

TEST_CASE("dtype_size equals sizeof of the C++ element type", "[core][dtype]") {
    STATIC_REQUIRE(dtype_size(dtype_of<float>) == sizeof(float));
    STATIC_REQUIRE(dtype_size(dtype_of<double>) == sizeof(double));
    STATIC_REQUIRE(dtype_size(dtype_of<std::int32_t>) == sizeof(std::int32_t));
    STATIC_REQUIRE(dtype_size(dtype_of<std::uint8_t>) == sizeof(std::uint8_t));
}

TEST_CASE("Element accepts float, double, int32 and uint8 and nothing else", "[core][dtype]") {
    STATIC_REQUIRE(Element<float>);
    STATIC_REQUIRE(Element<double>);
    STATIC_REQUIRE(Element<std::int32_t>);
    STATIC_REQUIRE(Element<std::uint8_t>);
    STATIC_REQUIRE_FALSE(Element<std::int64_t>);
    STATIC_REQUIRE_FALSE(Element<long double>);
    STATIC_REQUIRE_FALSE(Element<bool>);
    STATIC_REQUIRE_FALSE(Element<const float>);
    STATIC_REQUIRE_FALSE(Element<float&>);
}

TEST_CASE("FloatElement accepts only float and double", "[core][dtype]") {
    STATIC_REQUIRE(FloatElement<float>);
    STATIC_REQUIRE(FloatElement<double>);
    STATIC_REQUIRE_FALSE(FloatElement<std::int32_t>);
    STATIC_REQUIRE_FALSE(FloatElement<std::uint8_t>);
}
