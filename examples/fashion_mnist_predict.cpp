// SPDX-License-Identifier: MIT
// examples/fashion_mnist_predict.cpp: inference with the flagship's checkpoint — classify Fashion-MNIST
// test images with the MLP that fashion_mnist_mlp trained.
//
// The story, top to bottom:
//   1. Build the model's graph from the same definition the flagship trains (fashion_mnist_model.hpp),
//      at an inference batch of 100: the batch is part of the static shape, so inference has its own
//      graph and program. Only the forward pass is compiled: softmax probabilities and argmax classes.
//   2. load_checkpoint() fills the Machine's parameters from the safetensors file, matching tensors to
//      parameters by name and checking dtype and shape ("fc1.weight" must be f32 Shape<784,256>). The
//      optimizer state stored next to them (Adam's moments) is not needed here and is left in the file.
//   3. Classify the test images 100 at a time. The last batch is padded with zeros and the padding's
//      predictions are ignored (a DataLoader drops a partial batch when training; inference must not).
//   4. Print the first --n predictions next to the true labels, then the confusion matrix and the
//      accuracy over the first --n-confusion test images (default: all 10,000).
//
// Usage: fashion_mnist_predict [--checkpoint PATH] [--data DIR] [--n N] [--n-confusion M]
// After tools/flagship.sh:  ./build/examples/fashion_mnist_predict --checkpoint build/fashion_mnist/fashion_mnist_mlp.safetensors
#include "fashion_mnist_model.hpp"  // the model, data files and checkpoint name, shared with fashion_mnist_mlp

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

using namespace graft;
using namespace fashion_mnist;

namespace {

constexpr std::size_t kBatch = 100;  // the inference batch: any size works, it only has to be a constant

struct Args {
    std::string checkpoint = kCheckpointFile;  // where fashion_mnist_mlp writes it with its default --out "."
    std::string data = kDefaultData;
    std::size_t n = 20;
    std::size_t n_confusion = kTest;
};

std::size_t count(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    unsigned long v = 0;
    try {
        v = std::stoul(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || text[0] == '-' || v < 1 || v > kTest)
        throw Error("fashion_mnist_predict: " + flag, "a count of test images from 1 to " + std::to_string(kTest), "\"" + text + "\"");
    return v;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc) throw Error("fashion_mnist_predict", std::string("a value after ") + flag, "end of arguments");
            return argv[++i];
        };
        if (s == "--checkpoint") a.checkpoint = value("--checkpoint");
        else if (s == "--data") a.data = value("--data");
        else if (s == "--n") a.n = count(s, value("--n"));
        else if (s == "--n-confusion") a.n_confusion = count(s, value("--n-confusion"));
        else if (s == "--help" || s == "-h") {
            std::cout << "usage: fashion_mnist_predict [--checkpoint PATH] [--data DIR] [--n N] [--n-confusion M]\n";
            std::exit(0);
        } else throw Error("fashion_mnist_predict", "--checkpoint, --data, --n or --n-confusion", s);
    }
    return a;
}

}  // namespace

int main(int argc, char** argv) try {
    const Args args = parse(argc, argv);
    if (!std::filesystem::is_regular_file(args.checkpoint))
        throw Error("fashion_mnist_predict", "a checkpoint at " + args.checkpoint +
                    " (run tools/flagship.sh first; it writes build/fashion_mnist/" + kCheckpointFile +
                    ", which --checkpoint takes)", "no such file");

    // the test set, standardised exactly as in training
    auto file = [&](const char* stem) { return find_file("fashion_mnist_predict", args.data, stem); };
    const auto test_x = standardize(io::read_idx<std::uint8_t, Shape<kTest, 28, 28>>(file("t10k-images-idx3-ubyte")));
    const auto test_y = io::read_idx<std::uint8_t, Shape<kTest>>(file("t10k-labels-idx1-ubyte"));

    // 1. the inference graph: forward only
    Graph g;
    Mlp<kBatch> model(g);
    auto probs = softmax(model.logits);         // Var<float, Shape<100, 10>>
    auto predicted = argmax<1>(model.logits);   // Var<int32_t, Shape<100>>
    Machine m(compile(g, predicted, probs));

    // 2. the trained parameters
    const auto meta = nn::load_checkpoint(args.checkpoint, m.params());
    if (auto it = meta.find("model"); it != meta.end() && it->second != kModelName)
        throw Error("fashion_mnist_predict: " + args.checkpoint, std::string("a checkpoint of model ") + kModelName, it->second);
    std::cout << "checkpoint " << args.checkpoint << ": " << (meta.count("model") ? meta.at("model") : "?");
    if (auto it = meta.find("epoch"); it != meta.end()) std::cout << ", saved after epoch " << std::stoul(it->second) + 1;
    std::cout << "\n";

    // 3. classify the first max(n, n_confusion) test images, kBatch at a time
    const std::size_t total = std::max(args.n, args.n_confusion);
    std::vector<int> guess(total);
    std::vector<float> confidence(total);
    Tensor<float, Shape<kBatch, kPixels>> xb;
    for (std::size_t start = 0; start < total; start += kBatch) {
        const std::size_t rows = std::min(kBatch, total - start);
        std::fill(xb.data(), xb.data() + xb.size(), 0.f);  // zero padding after the last image
        std::copy(test_x.data() + start * kPixels, test_x.data() + (start + rows) * kPixels, xb.data());
        m.let(model.x, xb);
        m.run();
        const auto p = m.value(predicted);
        const auto pr = m.value(probs);
        for (std::size_t i = 0; i < rows; ++i) {
            guess[start + i] = p[i];
            confidence[start + i] = pr(i, static_cast<std::size_t>(p[i]));
        }
    }

    // 4a. the first n predictions
    std::size_t right = 0;
    std::printf("\nfirst %zu test images (p: the softmax probability of the predicted class):\n    #  %-12s  %5s  %s\n", args.n,
                "predicted", "p", "true");
    for (std::size_t i = 0; i < args.n; ++i) {
        const bool ok = guess[i] == test_y[i];
        right += ok;
        std::printf("%5zu  %-12s  %5.3f  ", i, kClassNames[static_cast<std::size_t>(guess[i])].data(), double(confidence[i]));
        if (ok) std::printf("%s\n", kClassNames[test_y[i]].data());
        else std::printf("%-12s  <- wrong\n", kClassNames[test_y[i]].data());
    }
    std::printf("%zu of %zu correct\n", right, args.n);

    // 4b. confusion matrix: rows are the true class, columns the predicted one
    std::array<std::array<std::size_t, kClasses>, kClasses> confusion{};
    for (std::size_t i = 0; i < args.n_confusion; ++i) ++confusion[test_y[i]][static_cast<std::size_t>(guess[i])];
    std::printf("\nconfusion matrix over %zu test images (rows: true class, columns: predicted class)\n%-16s", args.n_confusion, "");
    for (std::size_t c = 0; c < kClasses; ++c) std::printf("%6zu", c);
    std::printf("  recall\n");
    std::size_t correct = 0;
    for (std::size_t t = 0; t < kClasses; ++t) {
        std::size_t row = 0;
        std::printf("%zu %-14s", t, kClassNames[t].data());
        for (std::size_t c = 0; c < kClasses; ++c) {
            std::printf("%6zu", confusion[t][c]);
            row += confusion[t][c];
        }
        correct += confusion[t][t];
        if (row) std::printf("  %6.3f\n", double(confusion[t][t]) / double(row));
        else std::printf("  %6s\n", "-");
    }
    std::printf("\naccuracy %.4f (%zu of %zu test images)\n", double(correct) / double(args.n_confusion), correct, args.n_confusion);
    return 0;
} catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
}
