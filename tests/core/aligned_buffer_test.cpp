// SPDX-License-Identifier: MIT
// tests/core/aligned_buffer_test.cpp: AlignedBuffer<T>: 64-byte alignment, zeroed elements, value semantics.
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace graft;

namespace {
bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

template <class T>
bool all_zero(const AlignedBuffer<T>& b) {
    for (std::size_t i = 0; i < b.size(); ++i)
        if (b[i] != T(0)) return false;
    return true;
}

struct Pod {
    int a;
    double b;
};
}  // namespace

TEST_CASE("buffer_alignment is one 64-byte cache line", "[core][aligned_buffer]") {
    STATIC_REQUIRE(buffer_alignment == 64);
}

TEMPLATE_TEST_CASE("AlignedBuffer storage is 64-byte aligned and zeroed for every size", "[core][aligned_buffer]",
                   float, double, std::int32_t, std::uint8_t) {
    std::vector<AlignedBuffer<TestType>> keep;  // several live buffers, so they cannot share one lucky address
    for (std::size_t n : {1u, 2u, 3u, 7u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u, 4097u}) {
        AlignedBuffer<TestType> b(n);
        CHECK(b.size() == n);
        CHECK(aligned64(b.data()));
        CHECK(all_zero(b));
        keep.push_back(std::move(b));
    }
    for (const auto& b : keep) CHECK(aligned64(b.data()));
}

TEST_CASE("AlignedBuffer of a trivially copyable struct is aligned and value-initialised", "[core][aligned_buffer]") {
    AlignedBuffer<Pod> b(5);
    CHECK(aligned64(b.data()));
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(b[i].a == 0);
        CHECK(b[i].b == 0.0);
    }
}

TEST_CASE("a default or zero-size buffer owns nothing", "[core][aligned_buffer]") {
    AlignedBuffer<float> d;
    CHECK(d.size() == 0);
    CHECK(d.data() == nullptr);
    AlignedBuffer<float> z(0);
    CHECK(z.size() == 0);
    CHECK(z.data() == nullptr);
    AlignedBuffer<float> zc(z);  // copying an empty buffer is fine
    CHECK(zc.size() == 0);
    CHECK(zc.data() == nullptr);
}

TEST_CASE("copying an AlignedBuffer is deep", "[core][aligned_buffer]") {
    AlignedBuffer<int> a(10);
    for (std::size_t i = 0; i < 10; ++i) a[i] = int(i * i);
    AlignedBuffer<int> b(a);
    REQUIRE(b.size() == 10);
    CHECK(b.data() != a.data());
    CHECK(aligned64(b.data()));
    for (std::size_t i = 0; i < 10; ++i) CHECK(b[i] == int(i * i));
    b[3] = -1;
    CHECK(a[3] == 9);
}

TEST_CASE("copy assignment replaces the contents whatever the sizes", "[core][aligned_buffer]") {
    AlignedBuffer<double> a(4), small(2), big(9), empty;
    for (std::size_t i = 0; i < 4; ++i) a[i] = 1.5 * double(i);
    small = a;
    big = a;
    empty = a;
    for (auto* x : {&small, &big, &empty}) {
        REQUIRE(x->size() == 4);
        CHECK(x->data() != a.data());
        CHECK(aligned64(x->data()));
        for (std::size_t i = 0; i < 4; ++i) CHECK((*x)[i] == 1.5 * double(i));
    }
    AlignedBuffer<double> same(4);
    same = a;
    same[0] = 42;
    CHECK(a[0] == 0.0);
    big = AlignedBuffer<double>();  // assign an empty one
    CHECK(big.size() == 0);
}

TEST_CASE("self copy-assignment and self move-assignment keep the contents", "[core][aligned_buffer]") {
    AlignedBuffer<float> a(3);
    a[0] = 1;
    a[1] = 2;
    a[2] = 3;
    auto& alias = a;  // through a reference, so the compiler does not warn about self-assignment
    a = alias;
    REQUIRE(a.size() == 3);
    CHECK(a[2] == 3.f);
    a = std::move(alias);
    REQUIRE(a.size() == 3);
    CHECK(a[0] == 1.f);
    CHECK(a[1] == 2.f);
    CHECK(a[2] == 3.f);
}

TEST_CASE("moving an AlignedBuffer transfers the allocation and empties the source", "[core][aligned_buffer]") {
    AlignedBuffer<float> a(8);
    a[7] = 7.f;
    const float* p = a.data();
    AlignedBuffer<float> b(std::move(a));
    CHECK(b.data() == p);  // no copy
    CHECK(b.size() == 8);
    CHECK(b[7] == 7.f);
    CHECK(a.data() == nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
    CHECK(a.size() == 0);

    AlignedBuffer<float> c(3);
    c = std::move(b);
    CHECK(c.data() == p);
    CHECK(c.size() == 8);
    CHECK(b.size() == 0);  // NOLINT(bugprone-use-after-move)

    // the moved-from buffer is usable again after assignment
    a = c;
    REQUIRE(a.size() == 8);
    CHECK(a[7] == 7.f);
    CHECK(a.data() != c.data());
}

TEST_CASE("swap exchanges storage without copying", "[core][aligned_buffer]") {
    AlignedBuffer<int> a(2), b(5);
    const int *pa = a.data(), *pb = b.data();
    a.swap(b);
    CHECK(a.data() == pb);
    CHECK(a.size() == 5);
    CHECK(b.data() == pa);
    CHECK(b.size() == 2);
}

TEST_CASE("an element count whose byte size overflows throws graft::Error before allocating", "[core][aligned_buffer]") {
    const std::size_t too_many = static_cast<std::size_t>(-1) / sizeof(double) + 1;
    CHECK_THROWS_AS(AlignedBuffer<double>(too_many), Error);
    CHECK_THROWS_AS(AlignedBuffer<float>(static_cast<std::size_t>(-1)), Error);
    try {
        AlignedBuffer<double> b(too_many);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.where() == "AlignedBuffer");
        CHECK(e.found().find(std::to_string(too_many)) != std::string::npos);
    }
}

TEST_CASE("a const AlignedBuffer gives read-only access", "[core][aligned_buffer]") {
    AlignedBuffer<std::uint8_t> a(4);
    a[1] = 200;
    const auto& c = a;
    STATIC_REQUIRE(std::is_same_v<decltype(c.data()), const std::uint8_t*>);
    STATIC_REQUIRE(std::is_same_v<decltype(c[0]), const std::uint8_t&>);
    CHECK(c[1] == 200);
}
