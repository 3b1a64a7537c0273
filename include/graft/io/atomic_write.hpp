// SPDX-License-Identifier: MIT
// graft/io/atomic_write.hpp: write a file so that readers see the old version or the new one, never a mix.
// The bytes go to a temporary in the same directory (<path>.tmp.<pid>.<n>), which is fsync'ed, closed,
// renamed over <path>, and then the directory is fsync'ed. Every graft writer (safetensors, CSV logs) uses it.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.hpp"

namespace graft::io {

/// One atomic replacement of `path`, in progress. Opening creates the temporary, `write` appends to it,
/// `commit` publishes it. Destroying an uncommitted AtomicFile removes the temporary and leaves `path`
/// untouched, so an exception anywhere between the two is safe.
///
///     io::AtomicFile f("run/weights.safetensors");
///     f.write(header);
///     f.write(data);
///     f.commit();                     // now (and only now) the new file is visible
///
/// Every failure throws graft::Error naming the operation, the file and the system's reason.
class AtomicFile {
public:
    /// Creates the temporary next to `path` (a replaced file keeps its permissions). Throws graft::Error for
    /// an empty path, a path ending in '/', a directory or special file at `path`, or when the temporary
    /// cannot be created.
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;             ///< not copyable: one AtomicFile owns the temporary
    AtomicFile& operator=(const AtomicFile&) = delete;  ///< not copyable: one AtomicFile owns the temporary
    /// Without commit(), closes and removes the temporary; `path` is left as it was.
    ~AtomicFile();

    /// Appends bytes to the temporary (partial writes and EINTR are retried).
    void write(std::span<const unsigned char> bytes);
    /// Appends `size` bytes starting at `data`.
    void write(const void* data, std::size_t size) { write({static_cast<const unsigned char*>(data), size}); }
    /// Appends the characters of `text` (no terminator).
    void write(std::string_view text) { write(text.data(), text.size()); }

    /// fsync(temporary), close, rename over the target, fsync(directory). Call once.
    void commit();

    /// The file being replaced.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// The temporary that holds the new bytes until commit().
    [[nodiscard]] const std::string& temp_path() const noexcept { return temp_; }

private:
    [[noreturn]] void fail(const std::string& what, int err);
    void abandon() noexcept;

    std::string path_;
    std::string temp_;
    int fd_ = -1;
    bool committed_ = false;
};

/// Replaces `path` with `bytes` atomically (see AtomicFile). The old file, if any, stays intact on failure.
inline void atomic_write(const std::string& path, std::span<const unsigned char> bytes);

/// Replaces `path` with whatever `fill` writes into the AtomicFile it is given. If `fill` throws, the
/// temporary is removed, the old file stays, and the exception propagates.
inline void atomic_write(const std::string& path, const std::function<void(AtomicFile&)>& fill);

/// True if `file_name` (a bare name, no directory) is a temporary that atomic_write made for `target_name`:
/// "<target_name>.tmp.<digits>.<digits>". Such files exist only while a write runs, or after a process was
/// killed mid-write; they are never a valid copy of the target and may be deleted once no writer runs.
[[nodiscard]] inline bool is_atomic_write_temporary(std::string_view file_name, std::string_view target_name);

// ---------------------------------------------------------------------------------------------------
// Implementation

namespace detail {

/// Concatenation by appending (`"literal" + std::string&&` trips GCC 12's false -Wrestrict, PR 105329).
template <class... P>
std::string atomic_cat(const P&... pieces) {
    std::string s;
    ((s += pieces), ...);
    return s;
}

inline std::string atomic_errno_text(int err) { return atomic_cat(std::strerror(err), " (errno ", std::to_string(err), ")"); }

/// The directory holding `path` ("." for a bare file name, "/" for "/name").
inline std::string atomic_parent_directory(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

inline std::string atomic_temp_name(const std::string& path) {
    static std::atomic<unsigned long long> counter{0};
    return atomic_cat(path, ".tmp.", std::to_string(static_cast<long long>(::getpid())), ".", std::to_string(counter++));
}

}  // namespace detail

inline AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    const std::string where = detail::atomic_cat("atomic_write: ", path_);
    if (path_.empty()) throw Error("atomic_write", "a file path", "an empty path");
    if (path_.back() == '/') throw Error(where, "a path naming a file", "a path ending in '/'");
    struct stat st {};
    mode_t mode = 0666;  // the umask applies, as for any newly created file
    bool keep_mode = false;
    if (::stat(path_.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) throw Error(where, "a path naming a file", "a directory");
        if (!S_ISREG(st.st_mode)) throw Error(where, "a regular file (or no file) at the path", "a special file");
        mode = st.st_mode & 07777;  // a replaced file keeps its permissions
        keep_mode = true;
    }
    // O_EXCL: never reuse (or follow a symlink planted at) an existing name.
    for (int attempt = 0;; ++attempt) {
        temp_ = detail::atomic_temp_name(path_);
        fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, keep_mode ? 0600 : mode);
        if (fd_ >= 0) break;
        const int err = errno;
        if (err == EINTR || (err == EEXIST && attempt < 100)) continue;
        const std::string t = std::exchange(temp_, std::string());
        throw Error(where, detail::atomic_cat("cannot create the temporary ", t, ": ", detail::atomic_errno_text(err)));
    }
    if (keep_mode && ::fchmod(fd_, mode) != 0) fail("cannot set the permissions of the temporary", errno);
}

inline AtomicFile::~AtomicFile() {
    if (!committed_) abandon();
}

inline void AtomicFile::abandon() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
}

inline void AtomicFile::fail(const std::string& what, int err) {
    const std::string t = temp_;
    abandon();
    throw Error(detail::atomic_cat("atomic_write: ", path_),
                detail::atomic_cat(what, t.empty() ? "" : " (temporary ", t, t.empty() ? "" : ")", ": ", detail::atomic_errno_text(err),
                                   "; the previous file is unchanged"));
}

inline void AtomicFile::write(std::span<const unsigned char> bytes) {
    if (fd_ < 0) throw Error(detail::atomic_cat("atomic_write: ", path_), "write() after commit() or after a failure");
    const unsigned char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        // Some kernels cap one write at ~2 GiB; ask for at most 1 GiB at a time.
        const std::size_t chunk = left < (std::size_t{1} << 30) ? left : (std::size_t{1} << 30);
        const ::ssize_t n = ::write(fd_, p, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", errno);
        }
        if (n == 0) fail("cannot write (the system wrote 0 bytes)", EIO);
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

inline void AtomicFile::commit() {
    const std::string where = detail::atomic_cat("atomic_write: ", path_);
    if (fd_ < 0) throw Error(where, "commit() called twice or after a failure");
    while (::fsync(fd_) != 0) {
        if (errno != EINTR) fail("cannot fsync the temporary", errno);
    }
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 && errno != EINTR) fail("cannot close the temporary", errno);
    if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary over the file", errno);
    committed_ = true;
    temp_.clear();
    // Make the rename itself durable. A file system that cannot fsync a directory (EINVAL) has no more to do.
    const std::string dir = detail::atomic_parent_directory(path_);
    int dfd = -1;
    do dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (dfd < 0 && errno == EINTR);
    if (dfd < 0)
        throw Error(where, detail::atomic_cat("the file was replaced, but its directory ", dir, " cannot be opened to fsync it: ",
                                              detail::atomic_errno_text(errno)));
    int rc = 0;
    while ((rc = ::fsync(dfd)) != 0 && errno == EINTR) {
    }
    const int err = errno;
    ::close(dfd);
    if (rc != 0 && err != EINVAL)
        throw Error(where, detail::atomic_cat("the file was replaced, but fsync of its directory ", dir, " failed: ", detail::atomic_errno_text(err)));
}

inline void atomic_write(const std::string& path, std::span<const unsigned char> bytes) {
    AtomicFile f(path);
    f.write(bytes);
    f.commit();
}

inline void atomic_write(const std::string& path, const std::function<void(AtomicFile&)>& fill) {
    AtomicFile f(path);
    fill(f);
    f.commit();
}

inline bool is_atomic_write_temporary(std::string_view file_name, std::string_view target_name) {
    constexpr std::string_view infix = ".tmp.";
    if (file_name.size() <= target_name.size() + infix.size() || file_name.substr(0, target_name.size()) != target_name)
        return false;
    std::string_view rest = file_name.substr(target_name.size());
    if (rest.substr(0, infix.size()) != infix) return false;
    rest.remove_prefix(infix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) return false;
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (i != dot && (rest[i] < '0' || rest[i] > '9')) return false;
    return true;
}

}  // namespace graft::io
