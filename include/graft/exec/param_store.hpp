// SPDX-License-Identifier: MIT
// graft/exec/param_store.hpp: ParamStore, the parameters of a model, shared by name and shape by every
// Machine (and so every compiled Program: train at batch 64, evaluate at batch 1000). Optimizers and
// checkpoints work on the store. A parameter is created, and initialised from its Init, the first time
// a machine needs it; later machines must agree on its dtype and dims.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/aligned_buffer.hpp"
#include "../core/error.hpp"
#include "../graph/init.hpp"
#include "../tensor/view.hpp"

namespace graft {

/// Named parameter buffers (64-byte aligned; addresses stay fixed for the store's lifetime).
class ParamStore {
public:
    /// One parameter: its name, type and storage.
    struct Entry {
        std::string name;          ///< the param's name in the graph
        DType dtype = DType::f32;  ///< element type
        Dims dims;                 ///< shape, outermost axis first
        AlignedBuffer<unsigned char> data;  ///< the elements, size() * dtype_size(dtype) bytes, row-major
        /// Element count: the product of dims (1 for a scalar).
        [[nodiscard]] std::size_t size() const noexcept {
            std::size_t n = 1;
            for (auto d : dims) n *= d;
            return n;
        }
    };

    /// The entry for `name`, created and initialised if new; throws if it exists with another type.
    Entry& ensure(const std::string& name, DType dtype, const Dims& dims, const Init& init) {
        if (auto* e = find(name)) {
            if (e->dtype != dtype || e->dims != dims)
                throw Error("ParamStore: param \"" + name + "\"", std::string(dtype_name(dtype)) + " " + shape_string(dims),
                            std::string(dtype_name(e->dtype)) + " " + shape_string(e->dims));
            return *e;
        }
        auto e = std::make_unique<Entry>();
        e->name = name;
        e->dtype = dtype;
        e->dims = dims;
        e->data = AlignedBuffer<unsigned char>(e->size() * dtype_size(dtype));
        if (dtype == DType::f32)
            init::fill(init, dims, std::span<float>(reinterpret_cast<float*>(e->data.data()), e->size()));
        else if (dtype == DType::f64)
            init::fill(init, dims, std::span<double>(reinterpret_cast<double*>(e->data.data()), e->size()));
        index_[name] = entries_.size();
        entries_.push_back(std::move(e));
        return *entries_.back();
    }

    /// The entry for `name`, or nullptr when the store has none.
    [[nodiscard]] Entry* find(std::string_view name) {
        auto it = index_.find(std::string(name));
        return it == index_.end() ? nullptr : entries_[it->second].get();
    }
    /// The entry for `name`, read-only, or nullptr when the store has none.
    [[nodiscard]] const Entry* find(std::string_view name) const {
        auto it = index_.find(std::string(name));
        return it == index_.end() ? nullptr : entries_[it->second].get();
    }
    /// The entry for `name`; throws graft::Error naming it when absent.
    [[nodiscard]] Entry& at(std::string_view name) {
        if (auto* e = find(name)) return *e;
        throw Error("ParamStore::at", "a parameter named \"" + std::string(name) + "\"", "none");
    }
    /// Number of parameters in the store.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    /// Entries in creation order.
    [[nodiscard]] std::vector<Entry*> entries() {
        std::vector<Entry*> v;
        for (auto& e : entries_) v.push_back(e.get());
        return v;
    }
    /// Entries in creation order, read-only.
    [[nodiscard]] std::vector<const Entry*> entries() const {
        std::vector<const Entry*> v;
        for (auto& e : entries_) v.push_back(e.get());
        return v;
    }

    /// Typed view of a parameter's values (read and write).
    template <Element T, ShapeType S>
    TensorView<T, S> view(std::string_view name) {
        Entry& e = at(name);
        const Dims want(S::dims.begin(), S::dims.end());
        if (e.dtype != dtype_of<T> || e.dims != want)
            throw Error("ParamStore::view(\"" + std::string(name) + "\")", std::string(dtype_name(e.dtype)) + " " + shape_string(e.dims),
                        std::string(dtype_name(dtype_of<T>)) + " " + S::name());
        return TensorView<T, S>(reinterpret_cast<T*>(e.data.data()));
    }

private:
    std::vector<std::unique_ptr<Entry>> entries_;
    std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace graft
