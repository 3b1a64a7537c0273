// SPDX-License-Identifier: MIT
// tests/nn/data_test.cpp: nn::DataLoader and nn::normalize. Every sample is drawn once per epoch except the
// N mod B left over at the end (the documented drop of the partial batch); the rows of every dataset stay
// together; the order depends only on the seed and the epoch, so a resumed run (seek) sees the same batches;
// normalize matches (x * scale - mean) / stddev computed in double. Bad run-time arguments are a graft::Error.
// (A zero batch size, unequal sample counts or fewer samples than a batch are compile errors.)
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "support/files.hpp"

using namespace graft;
using graft_test::error_of;
using Catch::Contains;

namespace {

// Ten samples, batches of three: three batches per epoch, one sample left over.
constexpr std::size_t N = 10, B = 3;
using Features = Tensor<float, Shape<N, 2>>;          // sample i: (i, i + 0.25)
using Labels = Tensor<std::int32_t, Shape<N>>;        // sample i: 1000 + 3 i
using Images = Tensor<std::uint8_t, Shape<N, 2, 2>>;  // sample i: 4 i, 4 i + 1, 4 i + 2, 4 i + 3
using Loader = nn::DataLoader<B, Features, Labels, Images>;

struct Dataset {
    Features x;
    Labels y;
    Images img;
    Dataset() {
        for (std::size_t i = 0; i < N; ++i) {
            x.data()[2 * i] = float(i);
            x.data()[2 * i + 1] = float(i) + 0.25f;
            y.data()[i] = std::int32_t(1000 + 3 * i);
            for (std::size_t k = 0; k < 4; ++k) img.data()[4 * i + k] = std::uint8_t(4 * i + k);
        }
    }
};

struct Batch {
    Loader::batch_t<Features> x;
    Loader::batch_t<Labels> y;
    Loader::batch_t<Images> img;
};

/// The sample ids of one batch, after checking that the label and image rows belong to the same sample.
std::vector<std::size_t> ids_of(const Batch& b) {
    std::vector<std::size_t> ids;
    for (std::size_t r = 0; r < B; ++r) {
        const float f = b.x.data()[2 * r];
        REQUIRE(f >= 0);
        REQUIRE(f < float(N));
        const auto id = std::size_t(f);
        INFO("batch row " << r << " holds sample " << id);
        CHECK(b.x.data()[2 * r + 1] == float(id) + 0.25f);
        CHECK(b.y.data()[r] == std::int32_t(1000 + 3 * id));
        for (std::size_t k = 0; k < 4; ++k) CHECK(b.img.data()[4 * r + k] == std::uint8_t(4 * id + k));
        ids.push_back(id);
    }
    return ids;
}

/// The sample ids of one whole epoch, in the order the loader gave them.
std::vector<std::size_t> epoch_order(Loader& loader, std::size_t epoch) {
    loader.start_epoch(epoch);
    Batch b;
    std::vector<std::size_t> order;
    while (loader.next(b.x, b.y, b.img))
        for (auto id : ids_of(b)) order.push_back(id);
    return order;
}

}  // namespace

TEST_CASE("DataLoader draws every sample once per epoch except the N mod B left over, which are dropped", "[nn][data]") {
    static_assert(Loader::batches_per_epoch() == 3 && Loader::samples() == 10);
    const Dataset d;
    Loader loader(d.x, d.y, d.img, {.shuffle = true, .seed = 3});
    std::set<std::size_t> ever_dropped;
    for (std::size_t epoch = 0; epoch < 8; ++epoch) {
        INFO("epoch " << epoch);
        loader.start_epoch(epoch);
        CHECK(loader.epoch() == epoch);
        Batch b;
        std::vector<std::size_t> seen;
        for (std::size_t k = 0; k < Loader::batches_per_epoch(); ++k) {
            CHECK(loader.batch_index() == k);
            REQUIRE(loader.next(b.x, b.y, b.img));
            for (auto id : ids_of(b)) seen.push_back(id);
        }
        CHECK(loader.batch_index() == 3);
        // the epoch is over: next() says so and fills nothing, however often it is asked
        b.y.data()[0] = -1;
        CHECK_FALSE(loader.next(b.x, b.y, b.img));
        CHECK_FALSE(loader.next(b.x, b.y, b.img));
        CHECK(b.y.data()[0] == -1);

        const std::set<std::size_t> distinct(seen.begin(), seen.end());
        CHECK(seen.size() == 9);
        CHECK(distinct.size() == 9);
        for (std::size_t i = 0; i < N; ++i)
            if (!distinct.count(i)) ever_dropped.insert(i);
    }
    CHECK(ever_dropped.size() > 1);  // the left-over sample changes with the shuffle
}

TEST_CASE("over many epochs each sample is the dropped one about equally often", "[nn][data]") {
    const Dataset d;
    Loader loader(d.x, d.y, d.img, {.seed = 11});
    constexpr std::size_t epochs = 1000;
    std::vector<std::size_t> dropped(N, 0);
    for (std::size_t e = 0; e < epochs; ++e) {
        const auto order = epoch_order(loader, e);
        std::vector<bool> seen(N, false);
        for (auto id : order) seen[id] = true;
        for (std::size_t i = 0; i < N; ++i) dropped[i] += !seen[i];
    }
    CHECK(std::accumulate(dropped.begin(), dropped.end(), std::size_t{0}) == epochs);
    // expected 100 each, binomial sd ~9.5: [50, 150] is more than 5 sd either side
    for (std::size_t i = 0; i < N; ++i) {
        INFO("sample " << i << " dropped " << dropped[i] << " times in " << epochs << " epochs");
        CHECK(dropped[i] > 50);
        CHECK(dropped[i] < 150);
    }
}

TEST_CASE("without shuffling, batches come in the datasets' order and the last N mod B samples are dropped", "[nn][data]") {
    const Dataset d;
    Loader loader(d.x, d.y, d.img, {.shuffle = false});
    for (std::size_t epoch : {0u, 1u, 5u}) CHECK(epoch_order(loader, epoch) == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("the shuffled order depends only on the seed and the epoch", "[nn][data]") {
    const Dataset d;
    Loader a(d.x, d.y, d.img, {.seed = 42});
    Loader b(d.x, d.y, d.img, {.seed = 42});
    Loader other(d.x, d.y, d.img, {.seed = 7});
    const std::vector<std::size_t> identity = {0, 1, 2, 3, 4, 5, 6, 7, 8};

    std::vector<std::vector<std::size_t>> orders;
    for (std::size_t epoch = 0; epoch < 4; ++epoch) {
        INFO("epoch " << epoch);
        const auto order = epoch_order(a, epoch);
        CHECK(order == epoch_order(b, epoch));  // same seed, another loader
        CHECK(order == epoch_order(a, epoch));  // the same epoch again
        CHECK(order != identity);
        CHECK(order != epoch_order(other, epoch));  // another seed
        orders.push_back(order);
    }
    for (std::size_t i = 0; i < orders.size(); ++i)
        for (std::size_t j = i + 1; j < orders.size(); ++j) {
            INFO("epochs " << i << " and " << j);
            CHECK(orders[i] != orders[j]);
        }
    // the constructor starts epoch 0
    Loader fresh(d.x, d.y, d.img, {.seed = 42});
    Batch batch;
    REQUIRE(fresh.next(batch.x, batch.y, batch.img));
    CHECK(ids_of(batch) == std::vector<std::size_t>(orders[0].begin(), orders[0].begin() + B));
}

TEST_CASE("seek(epoch, batch) resumes with the batches an uninterrupted loader would give", "[nn][data]") {
    const Dataset d;
    Loader a(d.x, d.y, d.img, {.seed = 9});
    Loader b(d.x, d.y, d.img, {.seed = 9});
    for (std::size_t batch = 0; batch <= Loader::batches_per_epoch(); ++batch) {
        INFO("seek(2, " << batch << ")");
        const auto order = epoch_order(a, 2);
        b.seek(2, batch);
        CHECK(b.epoch() == 2);
        CHECK(b.batch_index() == batch);
        Batch out;
        std::vector<std::size_t> rest;
        while (b.next(out.x, out.y, out.img))
            for (auto id : ids_of(out)) rest.push_back(id);
        CHECK(rest == std::vector<std::size_t>(order.begin() + std::ptrdiff_t(batch * B), order.end()));
    }
}

TEST_CASE("seek past the end of an epoch is an error naming the batch, and the loader keeps its place", "[nn][data][errors]") {
    const Dataset d;
    Loader loader(d.x, d.y, d.img, {.seed = 9});
    loader.seek(1, 1);
    CHECK_THAT(error_of([&] { loader.seek(4, 4); }), Contains("nn::DataLoader::seek: batch: expected a batch index in [0, 3], found 4"));
    // batch * B would wrap around to a small cursor
    const std::size_t huge = std::numeric_limits<std::size_t>::max() / B + 1;
    CHECK_THAT(error_of([&] { loader.seek(0, huge); }), Contains("found " + std::to_string(huge)));
    CHECK(loader.epoch() == 1);
    CHECK(loader.batch_index() == 1);
}

TEST_CASE("normalize computes (x * scale - mean) / stddev in the target type", "[nn][data]") {
    Tensor<std::uint8_t, Shape<4, 64>> pixels;
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels.data()[i] = std::uint8_t(i);  // 0 .. 255

    const auto scaled = nn::normalize<float>(pixels, 1 / 255.f);  // mean 0, stddev 1 by default
    CHECK(scaled.data()[0] == 0.f);
    CHECK(scaled.data()[255] == 1.f);

    const auto f = nn::normalize<float>(pixels, 1 / 255.f, 0.2860f, 0.3530f);
    const auto g = nn::normalize<double>(pixels, 1 / 255.0, 0.2860, 0.3530);
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        const double want = (double(i) / 255.0 - 0.2860) / 0.3530;
        INFO("pixel " << i);
        CHECK(std::abs(double(f.data()[i]) - want) <= 1e-6 * (1 + std::abs(want)));
        CHECK(std::abs(g.data()[i] - want) <= 1e-14 * (1 + std::abs(want)));
    }
}

TEST_CASE("normalize with a dataset's own mean and stddev gives mean 0 and stddev 1", "[nn][data]") {
    Tensor<std::int32_t, Shape<1000>> raw;
    Rng rng(5);
    for (auto& v : raw) v = std::int32_t(rng.below(200)) - 50;
    double mean = 0, var = 0;
    for (auto v : raw) mean += v;
    mean /= 1000;
    for (auto v : raw) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / 1000);

    const auto z = nn::normalize<float>(raw, 1.f, float(mean), float(sd));
    double zm = 0, zv = 0;
    for (float v : z) zm += v;
    zm /= 1000;
    for (float v : z) zv += (v - zm) * (v - zm);
    CHECK(std::abs(zm) < 1e-5);
    CHECK(std::abs(std::sqrt(zv / 1000) - 1) < 1e-5);
}

TEST_CASE("normalize refuses a stddev that is not a finite value > 0, and a non-finite scale or mean", "[nn][data][errors]") {
    const Tensor<std::uint8_t, Shape<2, 3>> x;
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, 1.f, 0.f, 0.f); }), Contains("nn::normalize: stddev: expected a finite value > 0, found 0"));
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, 1.f, 0.f, -0.5f); }), Contains("nn::normalize: stddev") && Contains("found -0.5"));
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, 1.f, 0.f, nan); }), Contains("nn::normalize: stddev") && Contains("found nan"));
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, 1.f, 0.f, inf); }), Contains("nn::normalize: stddev") && Contains("found inf"));
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, 1.f, 0.f, 1e-45f); }), Contains("nn::normalize: stddev"));  // 1/stddev overflows
    CHECK_THAT(error_of([&] { (void)nn::normalize<double>(x, 1.0, std::nan(""), 1.0); }), Contains("nn::normalize: mean") && Contains("found nan"));
    CHECK_THAT(error_of([&] { (void)nn::normalize<float>(x, inf, 0.f, 1.f); }), Contains("nn::normalize: scale") && Contains("found inf"));
}
