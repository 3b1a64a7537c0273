// SPDX-License-Identifier: MIT
// examples/fashion_mnist_train.hpp: the training program both Fashion-MNIST flagships run
// (fashion_mnist_mlp.cpp, fashion_mnist_cnn.cpp); only the model and a few names differ.
//   1. Data: the four IDX files of the Debian package dataset-fashion-mnist, read with their static
//      shapes; pixels standardised, labels widened to int32.
//   2. The model, built from typed layers: a wrong shape anywhere is a compile error.
//   3. grad() appends the backward pass to the same graph; compile() optimizes it (passes::standard():
//      simplify, fold, merge, fuse matmul+bias+relu and elementwise chains) and turns forward + backward
//      into one tape over one arena; a Machine runs it. Adam updates the parameters in place.
//   4. A second graph at the evaluation batch size computes test accuracy. It names the same parameters,
//      so its Machine shares the training Machine's ParamStore: no copies. Dropout is off in it.
//   5. Per epoch: a progress bar (batches, loss, samples/s, ETA), train loss and test accuracy,
//      loss.csv, loss.svg (a plot written directly), and a safetensors checkpoint that --resume
//      continues from (parameters, Adam's moments, the epoch).
#pragma once

#include "fashion_mnist_model.hpp"  // the models, data files and checkpoint names
#include "teaching.hpp"             // --dot DIR: the pictures of the training graph

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fashion_mnist {

using namespace graft;

/// What distinguishes one flagship from another: its name, checkpoint, plot title and defaults.
struct TrainConfig {
    const char* program;          ///< "fashion_mnist_mlp": error messages and --help
    const char* checkpoint_file;  ///< inside --out
    const char* model_name;       ///< stored in the checkpoint's metadata as "model"
    const char* title;            ///< of loss.svg
    std::size_t epochs = 10;
    double lr = 1e-3;
};

/// The command line: [--data DIR] [--epochs N] [--out DIR] [--resume] [--limit BATCHES] [--lr LR] [--dot DIR].
struct Args {
    std::string data = kDefaultData;
    std::size_t epochs = 10;
    std::string out = ".";
    bool resume = false;
    std::size_t limit = 0;  // train on at most this many batches per epoch (0: all) — for smoke runs
    double lr = 1e-3;
    std::string dot;        // write the graph pictures here (teaching.hpp); empty: none
};

inline Args parse(int argc, char** argv, const TrainConfig& cfg) {
    Args a;
    a.epochs = cfg.epochs;
    a.lr = cfg.lr;
    const std::string program = cfg.program;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc) throw Error(program, std::string("a value after ") + flag, "end of arguments");
            return argv[++i];
        };
        if (s == "--data") a.data = value("--data");
        else if (s == "--epochs") a.epochs = std::stoul(value("--epochs"));
        else if (s == "--out") a.out = value("--out");
        else if (s == "--resume") a.resume = true;
        else if (s == "--limit") a.limit = std::stoul(value("--limit"));
        else if (s == "--lr") a.lr = std::stod(value("--lr"));
        else if (s == "--dot") a.dot = value("--dot");
        else if (s == "--help" || s == "-h") {
            std::cout << "usage: " << program << " [--data DIR] [--epochs N] [--out DIR] [--resume] [--limit BATCHES] [--lr LR] [--dot DIR]\n";
            std::exit(0);
        } else throw Error(program, "--data, --epochs, --out, --resume, --limit, --lr or --dot", s);
    }
    return a;
}

/// The progress bar: redrawn per batch on a terminal, printed once at the end of the epoch otherwise.
inline void progress(std::size_t epoch, std::size_t done, std::size_t total, std::size_t batch, double loss, double secs, bool tty) {
    const double rate = secs > 0 ? double(done * batch) / secs : 0;
    const double eta = rate > 0 ? double((total - done) * batch) / rate : 0;
    const int width = 30;
    const int filled = total ? int(width * done / total) : width;
    char line[200];
    std::snprintf(line, sizeof line, "epoch %zu [%.*s%*s] %zu/%zu loss %.4f %6.0f samples/s ETA %4.1fs", epoch,
                  filled, "##############################", width - filled, "", done, total, loss, rate, eta);
    if (tty) std::cout << '\r' << line << std::flush;
    else if (done == total) std::cout << line << '\n';
}

/// The whole flagship: data, training program, evaluation program, the epochs with their progress,
/// history, plot and checkpoint. Model<B> is built as Model<B>(graph, training) and has x [B, 784],
/// logits [B, 10] and params(). Returns main's exit code; errors print their message and return 1.
template <template <std::size_t> class Model, std::size_t kBatch, std::size_t kEvalBatch>
int train_main(int argc, char** argv, const TrainConfig& cfg) try {
    const Args args = parse(argc, argv, cfg);
    std::filesystem::create_directories(args.out);
    const bool tty = ::isatty(STDOUT_FILENO) != 0;

    // 1. data: uint8 pixels -> floats standardised with the training set's mean/std; uint8 labels -> int32
    const auto t0 = std::chrono::steady_clock::now();
    auto file = [&](const char* stem) { return find_file(cfg.program, args.data, stem); };
    auto train_px = io::read_idx<std::uint8_t, Shape<kTrain, 28, 28>>(file("train-images-idx3-ubyte"));
    auto train_lb = io::read_idx<std::uint8_t, Shape<kTrain>>(file("train-labels-idx1-ubyte"));
    auto test_px = io::read_idx<std::uint8_t, Shape<kTest, 28, 28>>(file("t10k-images-idx3-ubyte"));
    auto test_lb = io::read_idx<std::uint8_t, Shape<kTest>>(file("t10k-labels-idx1-ubyte"));
    const auto train_x = standardize(train_px);
    const auto test_x = standardize(test_px);
    const auto train_y = cast<std::int32_t>(train_lb);
    const auto test_y = cast<std::int32_t>(test_lb);
    std::cout << "Fashion-MNIST: " << kTrain << " training and " << kTest << " test images from " << args.data << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s)\n";

    // 2-3. the training program: forward, backward (grad), one tape
    Graph g;
    Model<kBatch> model(g, true);
    auto y = g.input<std::int32_t, kBatch>("y");
    auto loss = nn::cross_entropy(model.logits, y);
    const teaching::Pictures pics(cfg.program, args.dot);
    pics.forward(g, {loss.id()}, std::string(cfg.program) + ": forward graph and loss");
    const auto first_backward = static_cast<NodeId>(g.size());
    auto grads = nn::param_grads(loss, model);
    pics.backward(g, grads.outputs(loss), first_backward, std::string(cfg.program) + ": forward + backward (reverse sweep in blue)");
    pics.after_passes(g, grads.outputs(loss), std::string(cfg.program) + ": the training graph after passes::standard()");
    // passes::standard() simplifies, folds, merges and fuses the graph before lowering (docs/passes.md)
    const CompileOptions optimized{.pipeline = passes::standard()};
    Machine train(compile(g, grads.outputs(loss), optimized));
    std::cout << "training program: " << train.program().instruction_count() << " instructions, arena "
              << train.program().arena_bytes() / 1024 << " KiB, params " << train.program().param_bytes() / 1024
              << " KiB, " << train.program().flops() / 1e6 << " MFLOP per step\n";

    // 4. the evaluation program shares the parameters
    Graph ge;
    Model<kEvalBatch> eval_model(ge, false);
    auto predicted = argmax<1>(eval_model.logits);
    Machine eval(compile(ge, optimized, predicted), train.shared_params());

    nn::DataLoader<kBatch, Tensor<float, Shape<kTrain, kPixels>>, Tensor<std::int32_t, Shape<kTrain>>> loader(
        train_x, train_y, {.shuffle = true, .seed = 42});
    const std::size_t per_epoch = args.limit ? std::min(args.limit, loader.batches_per_epoch()) : loader.batches_per_epoch();
    nn::Adam opt(train, grads, {.lr = args.lr});
    opt.schedule = nn::CosineAnnealingLR{args.lr, args.epochs * per_epoch, args.lr / 20};

    const std::string ckpt = (std::filesystem::path(args.out) / cfg.checkpoint_file).string();
    const std::string csv = (std::filesystem::path(args.out) / "loss.csv").string();
    std::size_t first_epoch = 0;
    std::vector<nn::EpochRecord> history;
    if (args.resume) {
        const auto meta = nn::load_checkpoint(ckpt, train.params(), &opt);
        first_epoch = std::stoul(meta.at("epoch")) + 1;
        if (auto it = meta.find("random_step"); it != meta.end()) train.set_random_step(std::stoull(it->second));  // dropout
        history = nn::read_history(csv);
        std::cout << "resumed from " << ckpt << " after epoch " << first_epoch << "\n";
    }

    typename decltype(loader)::template batch_t<Tensor<float, Shape<kTrain, kPixels>>> xb;
    typename decltype(loader)::template batch_t<Tensor<std::int32_t, Shape<kTrain>>> yb;
    for (std::size_t epoch = first_epoch; epoch < args.epochs; ++epoch) {
        loader.start_epoch(epoch);
        double loss_sum = 0;
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t b = 0; b < per_epoch && loader.next(xb, yb); ++b) {
            train.let(model.x, xb);
            train.let(y, yb);
            train.run();
            opt.step();
            loss_sum += train.value(loss).item();
            if (tty || b + 1 == per_epoch)
                progress(epoch + 1, b + 1, per_epoch, kBatch, loss_sum / double(b + 1),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), tty);
        }
        if (tty) std::cout << '\n';
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        // test accuracy at batch 1000
        std::size_t correct = 0;
        Tensor<float, Shape<kEvalBatch, kPixels>> xe;
        for (std::size_t b = 0; b < kTest / kEvalBatch; ++b) {
            std::copy(test_x.data() + b * kEvalBatch * kPixels, test_x.data() + (b + 1) * kEvalBatch * kPixels, xe.data());
            eval.let(eval_model.x, xe);
            eval.run();
            const auto p = eval.value(predicted);
            for (std::size_t i = 0; i < kEvalBatch; ++i) correct += p[i] == test_y[b * kEvalBatch + i];
        }
        const double acc = double(correct) / double(kTest);
        history.push_back({epoch + 1, loss_sum / double(per_epoch), acc, secs, double(per_epoch * kBatch) / secs});
        std::printf("epoch %zu: train loss %.4f, test accuracy %.4f (%.1f s, %.0f samples/s)\n", epoch + 1,
                    history.back().train_loss, acc, secs, history.back().samples_per_second);
        std::fflush(stdout);

        // 5. loss.csv, loss.svg and the checkpoint, each written to a temporary and renamed
        nn::write_history(csv, history);
        nn::write_loss_svg((std::filesystem::path(args.out) / "loss.svg").string(), history, cfg.title);
        nn::save_checkpoint(ckpt, train.params(), &opt, {{"epoch", std::to_string(epoch)}, {"model", cfg.model_name}, {"random_step", std::to_string(train.random_step())}});
    }
    if (!history.empty())
        std::cout << "final test accuracy " << history.back().test_accuracy << "; wrote " << csv << ", loss.svg and " << ckpt << "\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
}

}  // namespace fashion_mnist
