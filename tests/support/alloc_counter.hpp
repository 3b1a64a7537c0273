// SPDX-License-Identifier: MIT
// tests/support/alloc_counter.hpp: counts every call of the global operator new (all forms).
// Include it in exactly ONE .cpp of a test executable: it *defines* the replaceable global operator
// new/delete (plain, array, aligned, nothrow, sized), which then count in graft_test::allocations() and
// forward to malloc/free/aligned_alloc. Under ASan these replacements still win (the executable's
// definitions interpose libasan's), and the malloc family they call stays checked by ASan.
//   const auto before = graft_test::allocations();
//   m.run();
//   CHECK(graft_test::allocations() == before);
#pragma once

#ifdef GRAFT_TEST_ALLOC_COUNTER_DEFINED
#error "tests/support/alloc_counter.hpp defines operator new: include it in one .cpp of the executable only"
#endif
#define GRAFT_TEST_ALLOC_COUNTER_DEFINED

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace graft_test {

namespace detail {
inline std::atomic<std::size_t> alloc_count{0};

inline void* counted_alloc(std::size_t n) noexcept {
    alloc_count.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}
inline void* counted_aligned_alloc(std::size_t n, std::align_val_t al) noexcept {
    alloc_count.fetch_add(1, std::memory_order_relaxed);
    const auto a = static_cast<std::size_t>(al) < sizeof(void*) ? sizeof(void*) : static_cast<std::size_t>(al);
    const std::size_t size = n == 0 ? a : (n + a - 1) / a * a;  // aligned_alloc wants a multiple of the alignment
    return std::aligned_alloc(a, size);
}
}  // namespace detail

/// Number of global operator new calls (any form) since the program started.
inline std::size_t allocations() noexcept { return detail::alloc_count.load(std::memory_order_relaxed); }

}  // namespace graft_test

// The replaceable global allocation functions ([new.delete]); they may not be inline.
void* operator new(std::size_t n) {
    if (void* p = graft_test::detail::counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = graft_test::detail::counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return graft_test::detail::counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return graft_test::detail::counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t al) {
    if (void* p = graft_test::detail::counted_aligned_alloc(n, al)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) {
    if (void* p = graft_test::detail::counted_aligned_alloc(n, al)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
    return graft_test::detail::counted_aligned_alloc(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
    return graft_test::detail::counted_aligned_alloc(n, al);
}

// GCC sees the malloc behind operator new and the free here, and warns of a mismatch it created itself.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
