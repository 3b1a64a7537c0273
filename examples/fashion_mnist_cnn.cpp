// SPDX-License-Identifier: MIT
// examples/fashion_mnist_cnn.cpp: the CNN flagship. The two-convolution network of TensorFlow's layers
// tutorial (Fashion-MNIST's benchmark table lists it at 0.916) trained on the real Fashion-MNIST with
// Adam and a cosine schedule, batch 64:
//   conv 5x5 32 same + relu, maxpool 2, conv 5x5 64 same + relu, maxpool 2, dense 1024 + relu,
//   dropout 0.4, dense 10.
//   - The model (Cnn<Batch>) lives in fashion_mnist_model.hpp; each layer's output shape is a type
//     computed at compile time (Conv2d<1, 32, 5, Padding::same> on [64,1,28,28] is [64,32,28,28]).
//   - Convolutions run as im2col + one GEMM through the BLAS seam; their gradients likewise (docs/cnn.md).
//   - The training program is the MLP flagship's (fashion_mnist_train.hpp): progress, loss.csv, loss.svg,
//     a checkpoint per epoch, --resume. The evaluation graph is built with dropout off, at batch 100.
//
// Usage: fashion_mnist_cnn [--data DIR] [--epochs N] [--out DIR] [--resume] [--limit BATCHES] [--lr LR] [--dot DIR]
#include "fashion_mnist_train.hpp"

int main(int argc, char** argv) {
    using namespace fashion_mnist;
    return train_main<Cnn, 64, 100>(argc, argv,
                                    {.program = "fashion_mnist_cnn", .checkpoint_file = "fashion_mnist_cnn.safetensors",
                                     .model_name = "cnn-c32-c64-d1024-10", .title = "Fashion-MNIST CNN (TensorFlow tutorial)",
                                     .epochs = 10, .lr = 1e-3});
}
