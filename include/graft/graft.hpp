// SPDX-License-Identifier: MIT
// graft/graft.hpp: everything graft offers, in pipeline order.
//
//  Tensor<T, Shape<...>>   typed values, aligned storage, eager math (core/, tensor/)
//
//  core/    Shape<Dims...> and its compile-time rules, graft::Error, aligned storage. Std only.
//  tensor/  Tensor, views, factories, eager math, the one BLAS seam. Knows nothing of graphs.
//
//      graft::Tensor<float, graft::Shape<2, 2>> x{{1, 2}, {3, 4}}, y{{5, 6}, {7, 8}};
//      std::cout << x + y << '\n';                  // [[6, 8], [10, 12]]
//      auto z = graft::matmul(x, graft::transposed(y));  // a cblas_sgemm with a transpose flag
#pragma once

#include "autodiff.hpp"
#include "core.hpp"
#include "exec.hpp"
#include "graph.hpp"
#include "nn.hpp"
#include "passes.hpp"
#include "tensor.hpp"
