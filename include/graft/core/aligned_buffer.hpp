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
    /// An empty buffer: no allocation, data() is null and size() is 0.
    AlignedBuffer() noexcept = default;
    /// Allocates `n` zeroed elements (none when `n` is 0).
    /// Throws graft::Error if `n * sizeof(T)` does not fit in `size_t`; std::bad_alloc if allocation fails.
    explicit AlignedBuffer(std::size_t n) : size_(n) {
        if (n == 0) return;
        if (n > static_cast<std::size_t>(-1) / sizeof(T) - buffer_alignment)
            throw Error("AlignedBuffer", "an allocation of at most SIZE_MAX bytes",
                        std::to_string(n) + " elements of " + std::to_string(sizeof(T)) + " bytes");
        data_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{buffer_alignment}));
        std::memset(static_cast<void*>(data_), 0, n * sizeof(T));
    }
    /// Deep copy: a new allocation holding the same elements as `o`.
    AlignedBuffer(const AlignedBuffer& o) : AlignedBuffer(o.size_) {
        if (size_) std::memcpy(static_cast<void*>(data_), o.data_, size_ * sizeof(T));
    }
    /// Takes over `o`'s storage; `o` is left empty.
    AlignedBuffer(AlignedBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    /// Deep copy of `o`'s elements; reuses the existing allocation when the sizes match.
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
    /// Frees the current storage and takes over `o`'s; `o` is left empty.
    AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
        AlignedBuffer tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    /// Frees the storage.
    ~AlignedBuffer() { release(); }

    /// Exchanges storage and size with `o` without copying elements.
    void swap(AlignedBuffer& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
    }

    /// Pointer to the first element (64-byte aligned), or null when the buffer is empty.
    [[nodiscard]] T* data() noexcept { return data_; }
    /// Read-only pointer to the first element (64-byte aligned), or null when the buffer is empty.
    [[nodiscard]] const T* data() const noexcept { return data_; }
    /// Number of elements (not bytes).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Element `i`; no bounds check (`i < size()` is the caller's precondition).
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    /// Element `i`, read-only; no bounds check (`i < size()` is the caller's precondition).
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
