// SPDX-License-Identifier: MIT
// tests/io/fuzz_replay_test.cpp: every seed of the file-reader fuzz targets and every input a fuzzing run
// ever saved (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/) run through the target
// bodies of tests/fuzz/targets.hpp: each must be read or refused with graft::Error, and each round trip
// must hold. The ASan+UBSan pass of the test suite runs them under the sanitizers too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"

namespace {

namespace fs = std::filesystem;

/// Every file of tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/, sorted.
std::vector<fs::path> io_fuzz_inputs(const std::string& target) {
    const fs::path root = fs::path(__FILE__).parent_path().parent_path() / "fuzz";
    std::vector<fs::path> files;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = root / kind / target;
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::uint8_t> io_fuzz_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class Target>
std::size_t replay_io_target(const std::string& target, Target one) {
    std::size_t n = 0;
    for (const auto& p : io_fuzz_inputs(target)) {
        INFO("fuzz input " << p.string());
        const auto bytes = io_fuzz_bytes(p);
        try {
            one(bytes.data(), bytes.size());
        } catch (const graft_fuzz::Failure& f) {
            FAIL(f.what());
        }
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("fuzz seeds and saved findings: read_idx (plain and gzip files) reads or refuses each, round trips hold", "[io][fuzz]") {
    CHECK(replay_io_target("idx", graft_fuzz::idx_one) >= 10);
}

#ifdef GRAFT_HAS_ZLIB
TEST_CASE("fuzz seeds and saved findings: read_idx of gzip-compressed bytes agrees with the plain bytes", "[io][fuzz]") {
    CHECK(replay_io_target("idx_gz", graft_fuzz::idx_gz_one) >= 7);
}
#endif

TEST_CASE("fuzz seeds and saved findings: parse_safetensors and load_safetensors read or refuse each, round trips hold", "[io][fuzz]") {
    CHECK(replay_io_target("safetensors", graft_fuzz::safetensors_one) >= 6);
}

TEST_CASE("fuzz seeds and saved findings: parse_csv reads or refuses each, format_csv round trips hold", "[io][fuzz]") {
    CHECK(replay_io_target("csv", graft_fuzz::csv_one) >= 10);
}

TEST_CASE("the fuzz properties can fail: a target reports a broken round trip as graft_fuzz::Failure", "[io][fuzz]") {
    // the checker itself: a table and its re-read must compare unequal when a value differs
    graft::io::CsvTable a{{"x"}, 1, 1, {1.0}}, b{{"x"}, 1, 1, {2.0}};
    CHECK(graft_fuzz::same_table(a, a));
    CHECK_FALSE(graft_fuzz::same_table(a, b));
    CHECK_THROWS_AS(graft_fuzz::require(false, "demo"), graft_fuzz::Failure);
}
