// SPDX-License-Identifier: MIT
// examples/linear_layer.cpp: the seed's 784 -> 10 linear layer, relu(x·W + b), for a batch of 4 images.
// W and b are parameters: they live in the Machine's ParamStore, are created from their initializers
// the first time a machine needs them, and can be read and written there. The weights are then set to
// fixed multiples of 1/64 so that every sum is exact and the printed result is the same on every machine.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <algorithm>
#include <cstddef>
#include <iostream>
#include <string>

using graft::Shape;
using graft::Tensor;

int main(int argc, char** argv) {
    // --dot DIR writes the pictures of the graph (teaching.hpp)
    const teaching::Pictures pics("linear_layer", argc, argv);
    constexpr std::size_t batch = 4, in = 784, out = 10;  // 28x28 pixels -> 10 classes

    // Gorgonia (seed): x := NewTensor(g, dt, 2, WithShape(1, 784)); w := NewMatrix(g, dt, WithShape(784, 10));
    //                  b := NewVector(g, dt, WithShape(10)); logits := Add(Mul(x, w), b)
    graft::Graph g;
    auto x = g.input<float, batch, in>("x");
    auto W = g.param<float, in, out>("W", graft::init::glorot_uniform(/*seed=*/1));
    auto b = g.param<float, out>("b", graft::init::zeros());

    // matmul is the matrix product (`*` is elementwise); Shape<4,784> x Shape<784,10> -> Shape<4,10>,
    // and adding b (Shape<10>) broadcasts it over the batch rows.
    auto y = graft::relu(graft::matmul(x, W) + b);
    y.named("y");
    static_assert(std::is_same_v<decltype(y), graft::Var<float, Shape<batch, out>>>);

    // The operands the wrong way round do not compile; the error names both shapes:
    // auto wrong = graft::matmul(W, x);  // does not compile
    //   error: static assertion failed: graft::matmul: inner dimensions differ
    //   note: 'graft::matmul_inner_dims_agree<graft::Shape<784, 10>, graft::Shape<4, 784> >::value' evaluates to false

    std::cout << "graph:\n" << graft::print(g);

    const graft::Program prog = graft::compile(g, y);
    graft::Machine m(prog);

    // W and b were created in m.params() from their initializers; overwrite them with fixed values.
    auto Wv = m.param(W);  // a mutable view of the ParamStore's buffer, Shape<784, 10>
    auto bv = m.param(b);
    for (std::size_t i = 0; i < in; ++i)
        for (std::size_t j = 0; j < out; ++j) Wv(i, j) = float(int((i * 7 + j * 3) % 17) - 8) / 64;
    for (std::size_t j = 0; j < out; ++j) bv(j) = float(int(2 * j) - 9) / 16;

    // Four "images" with pixel values in {0, 0.25, 0.5, 0.75, 1}.
    Tensor<float, Shape<batch, in>> images;
    for (std::size_t r = 0; r < batch; ++r)
        for (std::size_t i = 0; i < in; ++i) images(r, i) = float((r * 31 + i * 13) % 5) / 4;

    m.let(x, images);
    m.run();
    const auto result = m.value(y);  // a TensorView<const float, Shape<4, 10>> into the machine's arena
    std::cout << "relu(x·W + b) =\n";
    for (std::size_t r = 0; r < batch; ++r)  // one row at a time: a view of 10 floats inside the result
        std::cout << "  " << graft::TensorView<const float, Shape<out>>(result.data() + r * out) << '\n';

    // The same layer computed eagerly on Tensors: the graph and the eager math agree.
    Tensor<float, Shape<in, out>> W_copy;
    Tensor<float, Shape<out>> b_copy;
    std::copy(Wv.begin(), Wv.end(), W_copy.begin());
    std::copy(bv.begin(), bv.end(), b_copy.begin());
    const auto eager = graft::relu(graft::matmul(images, W_copy) + b_copy);
    std::cout << std::boolalpha << "same as eager Tensor math: " << graft::array_equal(result, eager) << '\n';

    // The tape: the matmul is one cblas_sgemm (m=4 n=10 k=784); add and relu write in place over the
    // matmul's output (each is the last reader of its input, and reads element i before writing it).
    // The costs are known before running: arena bytes, parameter bytes, FLOPs per run.
    std::cout << prog.dump();

    pics.forward(g, {y.id()}, "relu(x·W + b)");
    pics.after_passes(g, {y.id()}, "relu(x·W + b), after passes::standard()");
}
