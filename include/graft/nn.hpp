// SPDX-License-Identifier: MIT
// graft/nn.hpp: room nn/ — initializers, layers, losses, optimizers (SGD, Adam, AdamW, RMSprop,
// Adagrad), learning-rate schedules and gradient clipping. Training loops are user code.
#pragma once

#include "autodiff.hpp"
#include "exec.hpp"
#include "nn/checkpoint.hpp"
#include "nn/data.hpp"
#include "nn/history.hpp"
#include "nn/init.hpp"
#include "nn/layers/conv.hpp"
#include "nn/layers/linear.hpp"
#include "nn/losses.hpp"
#include "nn/optim/adagrad.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/rmsprop.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/optim/sgd.hpp"
