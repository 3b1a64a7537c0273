// SPDX-License-Identifier: MIT
// graft/nn/data.hpp: DataLoader, batches of typed tensors drawn from in-memory datasets.
// Every dataset tensor has the sample count N as its first dim; a batch of B has Shape<B, rest...>.
// Shuffling is a seeded permutation per epoch (epoch e uses seed + e, so a resumed run sees the same
// order). The batch size is static (it is part of the graph's shapes), so the last partial batch of
// an epoch is DROPPED: N / B batches per epoch. normalize() turns raw bytes into floats.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "../core/error.hpp"
#include "../core/random.hpp"
#include "../core/shape_rules.hpp"
#include "../graph/print.hpp"
#include "../tensor/tensor.hpp"

namespace graft::nn {

/// Shape S with its first dim replaced by B: batch_shape_t<Shape<60000,784>, 64> is Shape<64,784>.
template <ShapeType S, std::size_t B>
using batch_shape_t = graft::detail::shape_from_array_t<graft::detail::with_axis<S::rank>(S::dims, 0, B)>;

/// Options of a DataLoader.
struct DataLoaderOptions {
    bool shuffle = true;     ///< draw each epoch in a seeded random order (false: samples in order 0..N-1)
    std::uint64_t seed = 0;  ///< epoch e is shuffled with seed + e
};

/// Draws batches of B samples from one or more datasets of N samples each.
template <std::size_t B, class... D>
class DataLoader {
    static_assert(sizeof...(D) >= 1, "graft::nn::DataLoader: give at least one dataset");
    static_assert(B >= 1, "graft::nn::DataLoader: the batch size must be at least 1");
    static constexpr std::size_t N = std::tuple_element_t<0, std::tuple<D...>>::shape_type::dims[0];
    static_assert(((D::shape_type::rank >= 1 && D::shape_type::dims[0] == N) && ...),
                  "graft::nn::DataLoader: every dataset needs the same sample count as its first dim");
    static_assert(N >= B, "graft::nn::DataLoader: fewer samples than one batch");

public:
    /// The batch tensor type for dataset X.
    template <class X>
    using batch_t = Tensor<typename X::value_type, batch_shape_t<typename X::shape_type, B>>;

    /// Draws from `data` (kept by reference: the tensors must outlive the loader), positioned at batch 0 of epoch 0.
    explicit DataLoader(const D&... data, DataLoaderOptions opt = {}) : data_(&data...), opt_(opt), order_(N) {
        start_epoch(0);
    }

    /// Batches per epoch (the partial last batch is dropped).
    static constexpr std::size_t batches_per_epoch() { return N / B; }
    /// Samples per dataset: N, the first dim of every dataset.
    static constexpr std::size_t samples() { return N; }

    /// Restart at batch 0 of `epoch` with that epoch's order.
    void start_epoch(std::size_t epoch) {
        epoch_ = epoch;
        cursor_ = 0;
        std::iota(order_.begin(), order_.end(), std::size_t{0});
        if (opt_.shuffle) {
            Rng rng(opt_.seed + epoch);
            for (std::size_t i = N; i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);  // Fisher-Yates
        }
    }
    /// Fills one batch per dataset; false (nothing filled) when the epoch is over. Allocates nothing.
    bool next(batch_t<D>&... out) {
        if (cursor_ + B > N) return false;
        fill(std::index_sequence_for<D...>{}, out...);
        cursor_ += B;
        return true;
    }
    /// The current epoch, as given to start_epoch() or seek().
    [[nodiscard]] std::size_t epoch() const noexcept { return epoch_; }
    /// Index of the next batch within the epoch (for progress and checkpoints).
    [[nodiscard]] std::size_t batch_index() const noexcept { return cursor_ / B; }
    /// Resume mid-epoch: start_epoch(epoch) then skip `batch` batches (at most batches_per_epoch()).
    void seek(std::size_t epoch, std::size_t batch) {
        if (batch > batches_per_epoch()) {
            std::string range = "a batch index in [0, ";
            range += std::to_string(batches_per_epoch());
            range += "]";
            throw Error("nn::DataLoader::seek: batch", range, std::to_string(batch));
        }
        start_epoch(epoch);
        cursor_ = batch * B;
    }

private:
    template <std::size_t... I>
    void fill(std::index_sequence<I...>, batch_t<D>&... out) {
        (copy_rows(*std::get<I>(data_), out), ...);
    }
    template <class X, class Out>
    void copy_rows(const X& src, Out& dst) {
        constexpr std::size_t row = X::shape_type::size / N;
        for (std::size_t b = 0; b < B; ++b)
            std::memcpy(dst.data() + b * row, src.data() + order_[cursor_ + b] * row, row * sizeof(typename X::value_type));
    }
    std::tuple<const D*...> data_;
    DataLoaderOptions opt_;
    std::vector<std::size_t> order_;
    std::size_t epoch_ = 0, cursor_ = 0;
};

/// (x * scale - mean) / stddev elementwise, into floats: normalize<float>(pixels, 1 / 255.f, 0.2860f, 0.3530f).
/// A non-finite scale or mean, or a stddev that is not a finite value > 0, is an error naming it.
template <FloatElement T, Element U, ShapeType S>
Tensor<T, S> normalize(const Tensor<U, S>& x, T scale, T mean = T(0), T stddev = T(1)) {
    const T inv = T(1) / stddev;
    if (!std::isfinite(scale)) throw Error("nn::normalize: scale", "a finite value", graft::detail::format_double(double(scale)));
    if (!std::isfinite(mean)) throw Error("nn::normalize: mean", "a finite value", graft::detail::format_double(double(mean)));
    if (!(stddev > T(0)) || !std::isfinite(stddev) || !std::isfinite(inv))
        throw Error("nn::normalize: stddev", "a finite value > 0", graft::detail::format_double(double(stddev)));
    Tensor<T, S> out;
    for (std::size_t i = 0; i < S::size; ++i) out.data()[i] = (static_cast<T>(x.data()[i]) * scale - mean) * inv;
    return out;
}

}  // namespace graft::nn
