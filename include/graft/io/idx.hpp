// SPDX-License-Identifier: MIT
// graft/io/idx.hpp: read and write IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
// read_idx() detects gzip by its magic bytes (1f 8b), never by the file name, and checks every header field,
// the exact data length and the element type before trusting them; nothing is converted silently.
// read_idx<T, S>() returns a typed Tensor and checks the file's type and dims against the ones asked for.
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#ifdef GRAFT_HAS_ZLIB
#include <zlib.h>
#endif

#include "../core/aligned_buffer.hpp"
#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../graph/node.hpp"
#include "../tensor/tensor.hpp"
#include "atomic_write.hpp"

namespace graft::io {

/// The most dims read_idx accepts. The format allows 255; more than 16 is taken for a corrupt header.
inline constexpr std::size_t idx_max_rank = 16;

/// An IDX array as read from disk: element type, dims (outermost first) and the elements in row-major
/// order, already converted from the file's big-endian byte order to the host's.
struct IdxArray {
    DType dtype = DType::u8;            ///< element type, from the header's type code
    Dims dims;                          ///< dims from the header, outermost first
    AlignedBuffer<unsigned char> data;  ///< size() == element count * dtype_size(dtype)

    /// Number of elements (the product of the dims).
    [[nodiscard]] std::size_t size() const noexcept { return data.size() / dtype_size(dtype); }

    /// The elements as T; throws graft::Error unless T is this array's dtype (nothing is converted).
    template <Element T>
    [[nodiscard]] std::span<const T> values() const;
};

/// Reads an IDX file, plain or gzip-compressed (detected by the magic bytes 1f 8b; needs zlib).
/// Supported element types: 0x08 u8, 0x0C i32, 0x0D f32, 0x0E f64; int8 (0x09) and int16 (0x0B) are
/// refused rather than widened. The file must hold exactly the declared bytes: too few and trailing extra
/// bytes are both errors. Throws graft::Error naming the field, the expected and the found value.
inline IdxArray read_idx(const std::string& path);

/// Reads an IDX file whose element type must be T and whose dims must be S's dims:
/// `read_idx<std::uint8_t, Shape<10000, 28, 28>>("t10k-images-idx3-ubyte.gz")`.
template <Element T, ShapeType S>
Tensor<T, S> read_idx(const std::string& path);

/// Writes a plain (uncompressed) IDX file; `data` holds the elements in host byte order, row-major.
/// Written through io::AtomicFile (temporary + fsync + rename), so `path` is never left half-written.
inline void write_idx(const std::string& path, DType dtype, const Dims& dims, std::span<const unsigned char> data);

/// write_idx of an IdxArray (a read_idx / write_idx round trip reproduces the file byte for byte).
inline void write_idx(const std::string& path, const IdxArray& array);

/// write_idx of a typed tensor: `write_idx("labels-idx1-ubyte", labels)`.
template <Element T, ShapeType S>
void write_idx(const std::string& path, const Tensor<T, S>& tensor);

// =====================================================================================================
// Implementation
// =====================================================================================================

namespace detail {

/// IDX type byte (third magic byte) of a graft dtype.
constexpr std::uint8_t idx_type_code(DType d) noexcept {
    switch (d) {
        case DType::u8: return 0x08;
        case DType::i32: return 0x0C;
        case DType::f32: return 0x0D;
        case DType::f64: return 0x0E;
    }
    return 0;
}

inline std::string idx_hex(std::uint64_t v, int digits) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string s = "0x";
    for (int i = digits - 1; i >= 0; --i) s += hex[(v >> (4 * i)) & 0xF];
    return s;
}

/// The IDX name of a type byte, or nullptr for a byte the format does not define.
constexpr const char* idx_type_name(std::uint8_t code) noexcept {
    switch (code) {
        case 0x08: return "u8";
        case 0x09: return "int8";
        case 0x0B: return "int16";
        case 0x0C: return "i32";
        case 0x0D: return "f32";
        case 0x0E: return "f64";
        default: return nullptr;
    }
}

/// "0x08 (u8)", "0x09 (int8)", "0x0A (unknown)".
inline std::string idx_type_string(std::uint8_t code) {
    const char* name = idx_type_name(code);
    return idx_hex(code, 2) + " (" + (name ? name : "unknown") + ")";
}

inline std::uint32_t idx_load_be32(const unsigned char* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

inline void idx_store_be32(unsigned char* p, std::uint32_t v) noexcept {
    p[0] = static_cast<unsigned char>(v >> 24);
    p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8);
    p[3] = static_cast<unsigned char>(v);
}

inline std::uint32_t idx_bswap32(std::uint32_t v) noexcept {
    return (v >> 24) | ((v >> 8) & 0x0000FF00u) | ((v << 8) & 0x00FF0000u) | (v << 24);
}

/// Reverses the byte order of every `width`-byte element of `bytes` in place (big-endian <-> little-endian).
inline void idx_swap_elements(unsigned char* bytes, std::size_t n_bytes, std::size_t width) noexcept {
    if (width == 4) {
        for (std::size_t i = 0; i + 4 <= n_bytes; i += 4) {
            std::uint32_t v;
            std::memcpy(&v, bytes + i, 4);
            v = idx_bswap32(v);
            std::memcpy(bytes + i, &v, 4);
        }
    } else if (width == 8) {
        for (std::size_t i = 0; i + 8 <= n_bytes; i += 8) {
            std::uint64_t v;
            std::memcpy(&v, bytes + i, 8);
            v = (std::uint64_t{idx_bswap32(static_cast<std::uint32_t>(v))} << 32) | idx_bswap32(static_cast<std::uint32_t>(v >> 32));
            std::memcpy(bytes + i, &v, 8);
        }
    }
}

/// Converts the file's big-endian elements to host order (a no-op on big-endian hosts and for u8).
inline void idx_to_host_order(unsigned char* bytes, std::size_t n_bytes, DType dtype) noexcept {
    if constexpr (std::endian::native == std::endian::little) idx_swap_elements(bytes, n_bytes, dtype_size(dtype));
}

struct IdxFileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using IdxFilePtr = std::unique_ptr<std::FILE, IdxFileCloser>;

/// The bytes of an IDX file, inflated on the fly when the file starts with the gzip magic 1f 8b.
/// read() returns fewer bytes than asked only at the end of the data; corrupt or truncated gzip
/// streams, bad CRCs and I/O errors throw graft::Error.
class IdxInput {
public:
    /// The most a deflate stream can expand (zlib's technical limit: 1032:1).
    static constexpr std::uintmax_t max_inflate_ratio = 1032;

    IdxInput(std::string where, const std::string& path) : where_(std::move(where)) {
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (ec || !std::filesystem::exists(status))
            throw Error(where_, "cannot open: " + (ec ? ec.message() : std::string("no such file")));
        if (std::filesystem::is_directory(status)) throw Error(where_, "a regular file", "a directory");
        if (!std::filesystem::is_regular_file(status))
            throw Error(where_, "a regular file", "a special file (pipe, device or socket)");
        file_bytes_ = std::filesystem::file_size(path, ec);
        if (ec) throw Error(where_, "cannot read the file size: " + ec.message());
        errno = 0;
        file_.reset(std::fopen(path.c_str(), "rb"));
        if (!file_) throw Error(where_, std::string("cannot open: ") + std::strerror(errno));
        unsigned char magic[2] = {0, 0};
        const std::size_t n = raw_read(magic, 2);
        gzip_ = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (gzip_) {
#ifdef GRAFT_HAS_ZLIB
            inbuf_.resize(std::size_t{1} << 18);
            inbuf_[0] = magic[0];
            inbuf_[1] = magic[1];
            zs_.next_in = inbuf_.data();
            zs_.avail_in = 2;
            fed_ = 2;
            if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)  // 16 +: gzip wrapper only, CRC-32 and length checked
                throw Error(where_, "zlib: inflateInit2 failed");
            zlib_ready_ = true;
#else
            throw Error(where_, "looks gzip-compressed (magic bytes 1f 8b), but graft was built without zlib "
                                "(GRAFT_HAS_ZLIB is not defined): install zlib (zlib1g-dev) or gunzip the file");
#endif
        } else if (std::fseek(file_.get(), 0, SEEK_SET) != 0) {
            throw Error(where_, std::string("cannot seek: ") + std::strerror(errno));
        }
    }
    IdxInput(const IdxInput&) = delete;
    IdxInput& operator=(const IdxInput&) = delete;
    ~IdxInput() {
#ifdef GRAFT_HAS_ZLIB
        if (zlib_ready_) inflateEnd(&zs_);
#endif
    }

    [[nodiscard]] bool gzip() const noexcept { return gzip_; }
    [[nodiscard]] std::uintmax_t file_bytes() const noexcept { return file_bytes_; }

    /// The most data bytes that can follow a header of `header_bytes`: exact for a plain file, the
    /// deflate expansion limit for a gzip file (so no allocation exceeds what the file can hold).
    [[nodiscard]] std::uintmax_t data_bound(std::size_t header_bytes) const noexcept {
        if (!gzip_) return file_bytes_ >= header_bytes ? file_bytes_ - header_bytes : 0;
        const std::uintmax_t big = std::numeric_limits<std::uintmax_t>::max();
        return file_bytes_ > big / max_inflate_ratio ? big : file_bytes_ * max_inflate_ratio;
    }

    /// Reads up to n bytes into dst; fewer only at the end of the (inflated) data.
    std::size_t read(unsigned char* dst, std::size_t n) { return gzip_ ? inflate_read(dst, n) : raw_read(dst, n); }

    /// Reads and discards up to `limit` bytes; returns how many there were.
    std::uintmax_t skip(std::uintmax_t limit) {
        std::vector<unsigned char> scratch(std::size_t{1} << 16);
        std::uintmax_t total = 0;
        while (total < limit) {
            const auto want = static_cast<std::size_t>(std::min<std::uintmax_t>(scratch.size(), limit - total));
            const std::size_t got = read(scratch.data(), want);
            total += got;
            if (got < want) break;
        }
        return total;
    }

private:
    std::size_t raw_read(unsigned char* dst, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const std::size_t r = std::fread(dst + got, 1, n - got, file_.get());
            got += r;
            if (r == 0) {
                if (std::ferror(file_.get())) throw Error(where_, std::string("read error: ") + std::strerror(errno));
                break;
            }
        }
        return got;
    }

#ifdef GRAFT_HAS_ZLIB
    void refill() {
        if (file_eof_) return;
        const std::size_t r = raw_read(inbuf_.data(), inbuf_.size());
        if (r < inbuf_.size()) file_eof_ = true;
        zs_.next_in = inbuf_.data();
        zs_.avail_in = static_cast<uInt>(r);
        fed_ += r;
    }

    [[nodiscard]] std::uintmax_t compressed_offset() const noexcept { return fed_ - zs_.avail_in; }

    std::size_t inflate_read(unsigned char* dst, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            if (member_done_) {
                // RFC 1952: a gzip file is a series of members; anything else after a member is an error.
                if (zs_.avail_in == 0) refill();
                if (zs_.avail_in == 0) break;  // the end of the data
                inflateReset(&zs_);
                member_done_ = false;
            }
            if (zs_.avail_in == 0) refill();
            const std::size_t want = std::min<std::size_t>(n - got, std::size_t{1} << 30);
            zs_.next_out = dst + got;
            zs_.avail_out = static_cast<uInt>(want);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            got += want - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                member_done_ = true;
                ++members_;
            } else if (rc == Z_OK) {
                continue;
            } else if (rc == Z_BUF_ERROR && (zs_.avail_in != 0 || !file_eof_)) {
                continue;  // no progress this call, more input to come
            } else if (rc == Z_BUF_ERROR) {
                throw Error(where_, "a complete gzip stream",
                            "truncated gzip stream: the file ends at byte " + std::to_string(file_bytes_) +
                                ", inside gzip member " + std::to_string(members_ + 1));
            } else if (rc == Z_DATA_ERROR && members_ > 0 && zs_.total_out == 0) {
                throw Error(where_, "only gzip members after the end of gzip member " + std::to_string(members_),
                            "trailing bytes that are not gzip data (" + std::string(zs_.msg ? zs_.msg : "?") +
                                ") at compressed byte " + std::to_string(compressed_offset()));
            } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
                std::string what = zs_.msg ? zs_.msg : "invalid data";
                if (what == "incorrect data check") what += " (the CRC-32 does not match the data)";
                if (what == "incorrect length check") what += " (the length in the trailer does not match the data)";
                throw Error(where_, "corrupt gzip stream: " + what + " at compressed byte " +
                                        std::to_string(compressed_offset()));
            } else if (rc == Z_MEM_ERROR) {
                throw Error(where_, "zlib: out of memory while inflating");
            } else {
                throw Error(where_, "zlib: inflate failed with code " + std::to_string(rc));
            }
        }
        return got;
    }

    z_stream zs_{};
    std::vector<unsigned char> inbuf_;
    std::uintmax_t fed_ = 0;
    std::size_t members_ = 0;
    bool zlib_ready_ = false;
    bool file_eof_ = false;
    bool member_done_ = false;
#else
    std::size_t inflate_read(unsigned char*, std::size_t) { return 0; }
#endif

    std::string where_;
    IdxFilePtr file_;
    std::uintmax_t file_bytes_ = 0;
    bool gzip_ = false;
};

/// A parsed and checked IDX header.
struct IdxHeader {
    std::uint32_t magic = 0;
    DType dtype = DType::u8;
    Dims dims;
    std::size_t header_bytes = 0;
    std::size_t data_bytes = 0;  ///< element count * element size, checked for overflow
};

inline std::string idx_array_string(DType dtype, const Dims& dims) {
    return std::string(dtype_name(dtype)) + " " + shape_string(dims);
}

/// Bytes of an array of `dims` of `elem` bytes each; false if the count overflows size_t.
inline bool idx_byte_count(const Dims& dims, std::size_t elem, std::size_t& out) noexcept {
    std::size_t n = elem;
    bool zero = false;
    bool overflow = false;
    for (std::size_t d : dims) {
        if (d == 0) zero = true;
        else if (n > std::numeric_limits<std::size_t>::max() / d) overflow = true;
        else n *= d;
    }
    out = zero ? 0 : n;
    return zero || !overflow;
}

/// Reads and checks magic, type, rank and dims. Reads nothing past the header.
inline IdxHeader read_idx_header(IdxInput& in, const std::string& where) {
    const std::string source = in.gzip() ? " (after gunzip)" : "";
    unsigned char m[4] = {0, 0, 0, 0};
    const std::size_t got = in.read(m, 4);
    if (got < 4)
        throw Error(where, "an IDX header starting with a 4-byte magic number",
                    "a file of " + std::to_string(got) + (got == 1 ? " byte" : " bytes") + source);
    IdxHeader h;
    h.magic = idx_load_be32(m);
    if (m[0] != 0 || m[1] != 0) {
        std::string found = idx_hex(h.magic, 8);
        if (m[2] == 0 && m[3] == 0 && idx_type_name(m[1]) != nullptr)
            found += " (the bytes of " + idx_hex(idx_bswap32(h.magic), 8) + " reversed: written little-endian?)";
        else
            found += " (not an IDX file: its first two bytes must be zero)";
        throw Error(where, "magic 0x0000TTNN (two zero bytes, type TT, number of dims NN)", found);
    }
    switch (m[2]) {
        case 0x08: h.dtype = DType::u8; break;
        case 0x0C: h.dtype = DType::i32; break;
        case 0x0D: h.dtype = DType::f32; break;
        case 0x0E: h.dtype = DType::f64; break;
        default:
            throw Error(where, "IDX type 0x08 (u8), 0x0C (i32), 0x0D (f32) or 0x0E (f64) in magic " + idx_hex(h.magic, 8),
                        "unsupported IDX type " + idx_type_string(m[2]) +
                            (m[2] == 0x09 || m[2] == 0x0B ? "; graft converts nothing silently" : ""));
    }
    const std::size_t rank = m[3];
    if (rank == 0 || rank > idx_max_rank)
        throw Error(where, "1 to " + std::to_string(idx_max_rank) + " dims (last byte of the magic)",
                    std::to_string(rank) + " dims in magic " + idx_hex(h.magic, 8));
    h.header_bytes = 4 + 4 * rank;
    std::vector<unsigned char> raw(4 * rank);
    const std::size_t got_dims = in.read(raw.data(), raw.size());
    if (got_dims < raw.size())
        throw Error(where, std::to_string(h.header_bytes) + " header bytes (magic + " + std::to_string(rank) + " dims)",
                    std::to_string(4 + got_dims) + " bytes" + source);
    h.dims.resize(rank);
    for (std::size_t i = 0; i < rank; ++i) h.dims[i] = idx_load_be32(raw.data() + 4 * i);
    if (!idx_byte_count(h.dims, dtype_size(h.dtype), h.data_bytes))
        throw Error(where, "dims whose byte count fits in size_t",
                    idx_array_string(h.dtype, h.dims) + ", which overflows");
    return h;
}

/// " (the dims read little-endian, Shape<...>, would fit: ...)" when byte-swapping the dims explains `found`.
inline std::string idx_endian_hint(const IdxHeader& h, std::uintmax_t found) {
    Dims swapped(h.dims.size());
    for (std::size_t i = 0; i < h.dims.size(); ++i) swapped[i] = idx_bswap32(static_cast<std::uint32_t>(h.dims[i]));
    std::size_t bytes = 0;
    if (swapped == h.dims || !idx_byte_count(swapped, dtype_size(h.dtype), bytes) || bytes != found) return {};
    return "; the dims read little-endian, " + shape_string(swapped) + ", would fit: was the file written little-endian?";
}

/// Throws unless `in` can hold the header's data, before anything of that size is allocated.
inline void idx_check_available(IdxInput& in, const IdxHeader& h, const std::string& where) {
    const std::uintmax_t bound = in.data_bound(h.header_bytes);
    const std::string expected =
        std::to_string(h.data_bytes) + " data bytes for " + idx_array_string(h.dtype, h.dims);
    if (!in.gzip()) {
        if (bound == h.data_bytes) return;
        const std::string extra =
            bound > h.data_bytes ? " (" + std::to_string(bound - h.data_bytes) + " trailing bytes after the array)" : "";
        throw Error(where, expected, std::to_string(bound) + extra + idx_endian_hint(h, bound));
    }
    if (h.data_bytes <= bound) return;
    // A gzip file of this size cannot inflate to the declared size: count what it does hold, for the message.
    const std::uintmax_t found = in.skip(bound + 1);
    throw Error(where, expected, std::to_string(found) + " after gunzip" + idx_endian_hint(h, found));
}

/// Reads exactly h.data_bytes into dst, then checks that nothing follows.
inline void idx_read_data(IdxInput& in, const IdxHeader& h, unsigned char* dst, const std::string& where) {
    const std::size_t got = in.read(dst, h.data_bytes);
    const std::string expected =
        std::to_string(h.data_bytes) + " data bytes for " + idx_array_string(h.dtype, h.dims);
    if (got < h.data_bytes)
        throw Error(where, expected, std::to_string(got) + (in.gzip() ? " after gunzip" : "") + idx_endian_hint(h, got));
    unsigned char probe = 0;
    if (in.read(&probe, 1) != 0)  // stops a gzip bomb at declared size + 1 byte
        throw Error(where, expected, "more (trailing data after the declared array" +
                                         std::string(in.gzip() ? ", after gunzip)" : ")"));
    idx_to_host_order(dst, h.data_bytes, h.dtype);
}

inline std::string idx_where(const char* fn, const std::string& path) { return std::string(fn) + ": " + path; }

}  // namespace detail

template <Element T>
std::span<const T> IdxArray::values() const {
    if (dtype != dtype_of<T>)
        throw Error("IdxArray::values", std::string(dtype_name(dtype_of<T>)) + " elements",
                    std::string(dtype_name(dtype)) + " elements");
    return {reinterpret_cast<const T*>(data.data()), size()};
}

inline IdxArray read_idx(const std::string& path) {
    const std::string where = detail::idx_where("read_idx", path);
    detail::IdxInput in(where, path);
    detail::IdxHeader h = detail::read_idx_header(in, where);
    detail::idx_check_available(in, h, where);
    IdxArray out;
    out.dtype = h.dtype;
    out.data = AlignedBuffer<unsigned char>(h.data_bytes);
    detail::idx_read_data(in, h, out.data.data(), where);
    out.dims = std::move(h.dims);
    return out;
}

template <Element T, ShapeType S>
Tensor<T, S> read_idx(const std::string& path) {
    static_assert(S::rank >= 1 && S::rank <= idx_max_rank, "graft::io::read_idx: an IDX array has 1 to 16 dims");
    const std::string where = detail::idx_where("read_idx", path);
    detail::IdxInput in(where, path);
    const detail::IdxHeader h = detail::read_idx_header(in, where);
    const std::uint32_t magic = (std::uint32_t{detail::idx_type_code(dtype_of<T>)} << 8) | std::uint32_t{S::rank};
    if (h.magic != magic)
        throw Error(where,
                    "magic " + detail::idx_hex(magic, 8) + " (" + std::string(dtype_name(dtype_of<T>)) + ", " +
                        std::to_string(S::rank) + " dims)",
                    detail::idx_hex(h.magic, 8) + " (" + detail::idx_array_string(h.dtype, h.dims) + ")");
    if (!std::equal(h.dims.begin(), h.dims.end(), S::dims.begin(), S::dims.end()))
        throw Error(where, std::string(dtype_name(dtype_of<T>)) + " " + S::name(),
                    detail::idx_array_string(h.dtype, h.dims));
    detail::idx_check_available(in, h, where);
    Tensor<T, S> out;
    detail::idx_read_data(in, h, reinterpret_cast<unsigned char*>(out.data()), where);
    return out;
}

inline void write_idx(const std::string& path, DType dtype, const Dims& dims, std::span<const unsigned char> data) {
    const std::string where = detail::idx_where("write_idx", path);
    if (dims.empty() || dims.size() > idx_max_rank)
        throw Error(where, "1 to " + std::to_string(idx_max_rank) + " dims", std::to_string(dims.size()) + " dims");
    for (std::size_t d : dims)
        if (d > std::numeric_limits<std::uint32_t>::max())
            throw Error(where, "dims below 2^32 (IDX stores each dim in 32 bits)", shape_string(dims));
    std::size_t bytes = 0;
    if (!detail::idx_byte_count(dims, dtype_size(dtype), bytes))
        throw Error(where, "dims whose byte count fits in size_t", detail::idx_array_string(dtype, dims));
    if (data.size() != bytes)
        throw Error(where, std::to_string(bytes) + " data bytes for " + detail::idx_array_string(dtype, dims),
                    std::to_string(data.size()));
    std::vector<unsigned char> header(4 + 4 * dims.size());
    header[2] = detail::idx_type_code(dtype);
    header[3] = static_cast<unsigned char>(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i)
        detail::idx_store_be32(header.data() + 4 + 4 * i, static_cast<std::uint32_t>(dims[i]));
    AtomicFile f(path);
    f.write(header);
    if (std::endian::native == std::endian::big || dtype_size(dtype) == 1) {
        f.write(data);
    } else {
        std::vector<unsigned char> chunk(std::size_t{1} << 16);  // a multiple of every element size
        for (std::size_t off = 0; off < data.size(); off += chunk.size()) {
            const std::size_t n = std::min(chunk.size(), data.size() - off);
            std::memcpy(chunk.data(), data.data() + off, n);
            detail::idx_swap_elements(chunk.data(), n, dtype_size(dtype));
            f.write(chunk.data(), n);
        }
    }
    f.commit();
}

inline void write_idx(const std::string& path, const IdxArray& array) {
    write_idx(path, array.dtype, array.dims, std::span<const unsigned char>(array.data.data(), array.data.size()));
}

template <Element T, ShapeType S>
void write_idx(const std::string& path, const Tensor<T, S>& tensor) {
    static_assert(S::rank >= 1 && S::rank <= idx_max_rank, "graft::io::write_idx: an IDX array has 1 to 16 dims");
    write_idx(path, dtype_of<T>, Dims(S::dims.begin(), S::dims.end()),
              std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(tensor.data()), S::size * sizeof(T)));
}

}  // namespace graft::io
