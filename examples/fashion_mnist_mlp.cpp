// SPDX-License-Identifier: MIT
// examples/fashion_mnist_mlp.cpp: the flagship. An MLP 784-256-128-10 trained on the real Fashion-MNIST
// (Debian package dataset-fashion-mnist) with Adam and a cosine schedule, batch 64, 10 epochs: test
// accuracy 0.89 after 6 epochs, about 2.4 s of CPU per epoch on 2 cores (README Quick start).
//   - The model (Mlp<Batch>) lives in fashion_mnist_model.hpp, which fashion_mnist_predict builds its
//     inference graph from too. Its shapes are types: a wrong layer size is a compile error, not a crash
//     at step 10,000.
//   - The training program (fashion_mnist_train.hpp, shared with fashion_mnist_cnn): data, grad(),
//     compile() with passes::standard(), Adam, the evaluation program sharing the parameters, progress,
//     loss.csv, loss.svg and a checkpoint per epoch that --resume continues from.
//
// Usage: fashion_mnist_mlp [--data DIR] [--epochs N] [--out DIR] [--resume] [--limit BATCHES] [--lr LR] [--dot DIR]
#include "fashion_mnist_train.hpp"

int main(int argc, char** argv) {
    using namespace fashion_mnist;
    return train_main<Mlp, 64, 1000>(argc, argv,
                                     {.program = "fashion_mnist_mlp", .checkpoint_file = kCheckpointFile, .model_name = kModelName,
                                      .title = "Fashion-MNIST MLP 784-256-128-10", .epochs = 10, .lr = 1e-3});
}
