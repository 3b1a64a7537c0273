// SPDX-License-Identifier: MIT
// tests/exec/seed_graph_test.cpp: the seed program's graph, compiled and run.
#include <catch2/catch.hpp>
#include <graft/graft.hpp>

using namespace graft;

TEST_CASE("the seed's 2x2 graph x + y computes [[6, 8], [10, 12]]", "[exec]") {
    Graph g;
    auto x = g.input<float, 2, 2>("x");
    auto y = g.input<float, 2, 2>("y");
    auto z = x + y;
    Machine m(compile(g, z));
    m.let(x, Tensor<float, Shape<2, 2>>{{1, 2}, {3, 4}});
    m.let(y, Tensor<float, Shape<2, 2>>{{5, 6}, {7, 8}});
    m.run();
    CHECK(to_string(m.value(z)) == "[[6, 8], [10, 12]]");
}
