// SPDX-License-Identifier: MIT
// graft/tensor.hpp: room tensor/ — Tensor<T, S>, views, factories, eager math, the BLAS seam.
// Knows core/, Eigen and cblas; knows nothing of graphs.
#pragma once

#include "core.hpp"
#include "tensor/blas.hpp"
#include "tensor/blas_tune.hpp"
#include "tensor/compare.hpp"
#include "tensor/eigen.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/factories.hpp"
#include "tensor/linalg.hpp"
#include "tensor/print.hpp"
#include "tensor/reduce.hpp"
#include "tensor/tensor.hpp"
#include "tensor/view.hpp"
