// SPDX-License-Identifier: MIT
// tests/support/scratch_dir.hpp: a fresh directory for a test's files, removed with its contents at
// scope exit (even when a test made it read-only).
#pragma once

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace graft_test {

class ScratchDir {
public:
    /// `<parent>/graft_<tag>_<pid>_<n>`, created empty (parent: the system temp dir unless given).
    explicit ScratchDir(std::string_view tag, const std::filesystem::path& parent = std::filesystem::temp_directory_path()) {
        static std::atomic<unsigned> n{0};
        std::string name = "graft_";
        name += tag;
        name += '_';
        name += std::to_string(::getpid());
        name += '_';
        name += std::to_string(n++);
        path_ = parent / name;
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path_, ec);
    }

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// The path of `name` inside the directory.
    [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }
    /// Writes `bytes` to `name` inside the directory; returns its path.
    std::string write(std::string_view name, std::string_view bytes) const {
        const std::string p = file(name);
        std::ofstream f(p, std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }
    /// Names of every entry in the directory, sorted.
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    std::filesystem::path path_;
};

}  // namespace graft_test
