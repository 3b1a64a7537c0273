// SPDX-License-Identifier: MIT
// tests/tensor/tensor_test.cpp: Tensor<T, S> construction, access, value semantics.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

using namespace graft;

TEST_CASE("the seed's 2x2 addition gives [[6, 8], [10, 12]]", "[tensor]") {
    Tensor<float, Shape<2, 2>> x{{1, 2}, {3, 4}}, y{{5, 6}, {7, 8}};
    CHECK(to_string(x + y) == "[[6, 8], [10, 12]]");
}
