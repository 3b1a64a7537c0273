// SPDX-License-Identifier: MIT
// tests/io/safetensors_kill_test.cpp: fault injection for checkpoints (TESTING.md 2.7 D1).
// A forked child saves a ~1 MB checkpoint over and over, alternating two versions, and is killed with
// SIGKILL after a random delay. Whatever the moment, the checkpoint must still load and be bit-identical
// to one of the two complete versions, and leftover temporaries must never pass for the checkpoint.
// 200 trials run in /dev/shm (fast; a kill acts on the page cache the same way on any file system) and 20
// more in the ordinary temporary directory on disk, fsync included.
// GRAFT_SEED=<n> replays a run; GRAFT_KILL_TRIALS=<n> changes the number of trials (default 200).
#include <catch2/catch.hpp>

#include <graft/io/safetensors.hpp>

#include "support/text.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using graft::DType;
using graft::io::TensorRef;

namespace {

/// Reads a whole file into `buf`, reusing its capacity. The trials allocate as little as possible: under
/// ASan, freed memory stays mapped in the quarantine, and every page mapped makes each fork() slower.
void read_into(const fs::path& p, std::string& buf) {
    std::ifstream in(p, std::ios::binary | std::ios::ate);
    buf.resize(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)));
    in.seekg(0);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<std::size_t>(in.gcount()));
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

/// One version of the checkpoint: 1 MB of float weights, a double bias, an int32 step, and metadata.
struct Version {
    std::vector<float> w;
    std::vector<double> b;
    std::int32_t step = 0;
    std::map<std::string, std::string> meta;
    std::vector<TensorRef> refs;
    std::string bytes;  // the complete file, as the writer produces it

    explicit Version(int v) : w(256 * 1024), b(100), step(v), meta{{"version", std::to_string(v)}} {
        std::mt19937 rng(static_cast<std::uint32_t>(1000 + v));
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (auto& x : w) x = u(rng);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<double>(i) + v;
        refs = {{"w", DType::f32, {256, 1024}, w.data()}, {"b", DType::f64, {100}, b.data()}, {"step", DType::i32, {}, &step}};
        const auto raw = graft::io::safetensors_bytes(refs, meta);
        bytes.assign(raw.begin(), raw.end());
    }
};

struct KillStats {
    std::uint64_t trials = 0, saw_old = 0, saw_changed = 0, with_leftover = 0, leftover_files = 0, leftover_partial = 0;
    long long save_us = 0;
};

/// `trials` rounds of: fork a child that saves the two versions alternately, SIGKILL it after a random delay,
/// then check the checkpoint in `dir` and clear away leftover temporaries.
KillStats kill_trials(const fs::path& dir, const Version (&versions)[2], std::uint64_t trials, std::mt19937_64& rng) {
    const std::string name = "ckpt.safetensors";
    const std::string path = (dir / name).string();
    graft::io::save_safetensors(path, versions[0].refs, versions[0].meta);

    KillStats st;
    st.trials = trials;
    // How long one save takes here; the kill delays spread over about two and a half saves.
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) graft::io::save_safetensors(path, versions[0].refs, versions[0].meta);
    st.save_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 3;
    const auto max_delay_us = std::clamp<long long>(st.save_us * 5 / 2, 200, 50'000);
    std::uniform_int_distribution<long long> delay(0, max_delay_us);

    for (int v = 0; v < 2; ++v) {  // both complete versions load, with their values
        const auto f = graft::io::parse_safetensors(std::span(reinterpret_cast<const unsigned char*>(versions[v].bytes.data()), versions[v].bytes.size()));
        REQUIRE(f.metadata.at("version") == std::to_string(v));
        REQUIRE(f.at("w").values<float>() == versions[v].w);
    }
    std::string now, temp;
    now.reserve(versions[0].bytes.size() + 4096);
    temp.reserve(versions[0].bytes.size() + 4096);
    int current = 0;  // the version the checkpoint holds now
    for (std::uint64_t trial = 0; trial < trials; ++trial) {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // Child: say we are running, then save the other version, then this one, ... until killed.
            ::close(ready[0]);
            const char go = 'g';
            if (::write(ready[1], &go, 1) != 1) ::_exit(3);
            try {
                for (int k = 1;; ++k) {
                    const Version& v = versions[(current + k) % 2];
                    graft::io::save_safetensors(path, v.refs, v.meta);
                }
            } catch (...) {
                ::_exit(2);
            }
        }
        ::close(ready[1]);
        char go = 0;
        REQUIRE(::read(ready[0], &go, 1) == 1);
        ::close(ready[0]);
        std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
        REQUIRE(::kill(pid, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        INFO("trial " << trial << " in " << dir);
        REQUIRE(WIFSIGNALED(status));  // the child never stops on its own (an exit would mean a failed save)
        REQUIRE(WTERMSIG(status) == SIGKILL);

        // The checkpoint is one complete version, bit for bit (both load: checked before the trials), and
        // every tenth trial it is loaded again for good measure.
        read_into(path, now);
        const bool is0 = now == versions[0].bytes, is1 = now == versions[1].bytes;
        REQUIRE((is0 || is1));
        const int found = is0 ? 0 : 1;
        if (trial % 10 == 0) {
            const auto loaded = graft::io::load_safetensors(path);
            REQUIRE(loaded.metadata.at("version") == std::to_string(found));
            REQUIRE(loaded.at("w").values<float>() == versions[found].w);
        }
        (found == current ? st.saw_old : st.saw_changed)++;
        current = found;

        // Anything else in the directory is a recognisable temporary that a "*.safetensors" glob never picks.
        bool leftover = false;
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string f = e.path().filename().string();
            if (f == name) continue;
            REQUIRE(graft::io::is_atomic_write_temporary(f, name));
            REQUIRE(e.path().extension() != ".safetensors");
            leftover = true;
            ++st.leftover_files;
            read_into(e.path(), temp);
            if (temp != versions[0].bytes && temp != versions[1].bytes) ++st.leftover_partial;
            fs::remove(e.path());  // what a resuming program may do once no writer runs
        }
        st.with_leftover += leftover ? 1 : 0;
    }
    return st;
}

std::string report(const KillStats& s) {
    using graft_test::cat;
    using std::to_string;
    return cat(to_string(s.trials), " trials: checkpoint unchanged in ", to_string(s.saw_old), ", replaced in ", to_string(s.saw_changed),
               ", temporaries left in ", to_string(s.with_leftover), " (", to_string(s.leftover_partial), " partial); one save ~",
               to_string(s.save_us), " us");
}

}  // namespace

TEST_CASE("a checkpoint survives SIGKILL at any point of save_safetensors", "[io][safetensors][kill]") {
    const Version versions[2] = {Version(0), Version(1)};
    REQUIRE(versions[0].bytes != versions[1].bytes);
    const std::uint64_t seed = env_or("GRAFT_SEED", std::random_device{}());
    const std::uint64_t trials = env_or("GRAFT_KILL_TRIALS", 200);
    INFO("GRAFT_SEED=" << seed);
    std::mt19937_64 rng(seed);

    // Most trials run in /dev/shm when there is one: a kill cannot undo writes already in the page cache, so
    // a process kill behaves the same on any file system, and without a disk's fsync latency each save takes
    // about a millisecond, so 200 trials fit in a second or two. A few more trials run in the ordinary
    // temporary directory, on a real disk, fsync included.
    std::error_code ec;
    const bool have_shm = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0;
    graft_test::ScratchDir fast("kill_fast", have_shm ? fs::path("/dev/shm") : fs::temp_directory_path());
    const KillStats main = kill_trials(fast.path(), versions, trials, rng);
    graft_test::ScratchDir disk("kill_disk", fs::temp_directory_path());
    const KillStats real_disk = kill_trials(disk.path(), versions, 20, rng);
    INFO(report(main));

    // The trials must have hit every moment that matters, or this test proves nothing.
    CHECK(main.saw_old > 0);           // killed before the first rename: the old version stayed
    CHECK(main.saw_changed > 0);       // killed after a rename: the new version is complete
    CHECK(main.with_leftover > 0);     // killed between creating and renaming the temporary ...
    CHECK(main.leftover_partial > 0);  // ... often mid-write: a partial file that never replaced the checkpoint
    WARN("kill test (" << (have_shm ? "/dev/shm" : "temp dir") << "): " << report(main) << "\nkill test (disk): " << report(real_disk));
}
