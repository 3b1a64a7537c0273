// SPDX-License-Identifier: MIT
// graft/core/aligned_buffer.hpp: AlignedBuffer<T>, 64-byte aligned owning storage.
// The storage under every Tensor and every Machine arena: one allocation, value semantics, no hidden sharing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "error.hpp"

namespace graft {

/// Alignment of every buffer graft allocates (a cache line; enough for AVX-512 loads).
inline constexpr std::size_t buffer_alignment = 64;

/// Owning, 64-byte aligned array of trivially copyable T. Elements are zero-initialised.
template <class T>
class AlignedBuffer {
    static_assert(std::is_trivially_copyable_v<T>, "graft::AlignedBuffer holds trivially copyable elements only");

public:
    AlignedBuffer() noexcept = default;
    explicit AlignedBuffer(std::size_t n) : size_(n) {
        if (n == 0) return;
        if (n > static_cast<std::size_t>(-1) / sizeof(T) - buffer_alignment)
            throw Error("AlignedBuffer", "an allocation of at most SIZE_MAX bytes",
                        std::to_string(n) + " elements of " + std::to_string(sizeof(T)) + " bytes");
        data_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{buffer_alignment}));
        std::memset(static_cast<void*>(data_), 0, n * sizeof(T));
    }
    AlignedBuffer(const AlignedBuffer& o) : AlignedBuffer(o.size_) {
        if (size_) std::memcpy(static_cast<void*>(data_), o.data_, size_ * sizeof(T));
    }
    AlignedBuffer(AlignedBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    AlignedBuffer& operator=(const AlignedBuffer& o) {
        if (this != &o) {
            if (size_ == o.size_) {
                if (size_) std::memcpy(static_cast<void*>(data_), o.data_, size_ * sizeof(T));
            } else {
                AlignedBuffer tmp(o);
                swap(tmp);
            }
        }
        return *this;
    }
    AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
        AlignedBuffer tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~AlignedBuffer() { release(); }

    void swap(AlignedBuffer& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
    }

    [[nodiscard]] T* data() noexcept { return data_; }
    [[nodiscard]] const T* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    void release() noexcept {
        if (data_) ::operator delete(static_cast<void*>(data_), std::align_val_t{buffer_alignment});
        data_ = nullptr;
        size_ = 0;
    }
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace graft
