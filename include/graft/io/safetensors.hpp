// SPDX-License-Identifier: MIT
// graft/io/safetensors.hpp: save_safetensors / load_safetensors, the Hugging Face weights format.
// A file is an 8-byte little-endian header length N, N bytes of JSON {"name": {"dtype", "shape",
// "data_offsets"}, "__metadata__": {...}}, then the tensors' raw little-endian bytes, packed without gaps.
// The reader checks everything (sizes, offsets, overlaps, UTF-8, JSON) and never reads out of bounds;
// the writer goes through atomic_write, so a crash leaves the previous file intact.
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../graph/node.hpp"
#include "../tensor/tensor.hpp"
#include "atomic_write.hpp"

namespace graft::io {

/// A tensor to save: its name, element type, dims (empty for a scalar) and contiguous row-major data,
/// which must stay valid during the call. `data` may be null only if the tensor has no elements.
struct TensorRef {
    std::string name;            ///< key in the file's header; unique, UTF-8, not "__metadata__"
    DType dtype = DType::f32;    ///< element type of `data`
    Dims dims;                   ///< dims, outermost first (empty for a scalar)
    const void* data = nullptr;  ///< first of the product-of-dims elements, row-major, in native byte order
};

/// A TensorRef looking at a typed tensor.
template <Element T, ShapeType S>
[[nodiscard]] TensorRef tensor_ref(std::string name, const Tensor<T, S>& t) {
    return {std::move(name), dtype_of<T>, Dims(S::dims.begin(), S::dims.end()), t.data()};
}

/// Writes `tensors` (in this order) and string `metadata` to `path` as a safetensors file, atomically.
/// Throws graft::Error for a duplicate or reserved name ("__metadata__"), a name or metadata string that
/// is not UTF-8, null data for a non-empty tensor, or any I/O failure (the old file is then unchanged).
inline void save_safetensors(const std::string& path, std::span<const TensorRef> tensors,
                      const std::map<std::string, std::string>& metadata = {});
/// save_safetensors for a braced list: save_safetensors(path, {tensor_ref("w", w), tensor_ref("b", b)}).
inline void save_safetensors(const std::string& path, std::initializer_list<TensorRef> tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// The complete file save_safetensors would write, as bytes in memory.
[[nodiscard]] inline std::vector<unsigned char> safetensors_bytes(std::span<const TensorRef> tensors,
                                                           const std::map<std::string, std::string>& metadata = {});

/// A loaded safetensors file: every tensor in header order, and the `__metadata__` strings.
struct SafetensorsFile {
    /// One tensor of the file, with its bytes copied out.
    struct Record {
        std::string name;          ///< the tensor's key in the header
        DType dtype = DType::f32;  ///< element type, from the header's dtype string
        Dims dims;                 ///< dims from the header, outermost first (empty for a scalar)
        /// The tensor's bytes in native byte order (the file's little-endian bytes, swapped on a big-endian host).
        std::vector<unsigned char> data;

        /// Number of elements (1 for a scalar).
        [[nodiscard]] std::size_t numel() const noexcept { return data.size() / dtype_size(dtype); }
        /// A copy of the elements; throws graft::Error unless the dtype is dtype_of<T>.
        template <Element T>
        [[nodiscard]] std::vector<T> values() const;
        /// A typed copy; throws graft::Error naming the tensor unless dtype and dims match T and S.
        template <Element T, ShapeType S>
        [[nodiscard]] Tensor<T, S> to_tensor() const;
    };

    std::vector<Record> tensors;                  ///< every tensor, in header order
    std::map<std::string, std::string> metadata;  ///< the `__metadata__` strings (empty when the file has none)

    /// The tensor called `name`, or nullptr.
    [[nodiscard]] const Record* find(std::string_view name) const noexcept;
    /// The tensor called `name`; throws graft::Error listing the file's tensors if there is none.
    [[nodiscard]] const Record& at(std::string_view name) const;
};

/// Reads and fully validates a safetensors file. Supported dtypes: F32, F64, I32, U8; any other dtype
/// (F16, BF16, I64, ...) is rejected by name. Errors read "load_safetensors: <path>: expected ..., found ...".
[[nodiscard]] inline SafetensorsFile load_safetensors(const std::string& path);

/// The same checks on a file image already in memory; `name` stands in for the path in errors.
[[nodiscard]] inline SafetensorsFile parse_safetensors(std::span<const unsigned char> bytes, std::string_view name = "<memory>");

/// The largest header the reader accepts (the reference implementation's limit).
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;

// ---------------------------------------------------------------------------------------------------
// Implementation

namespace detail::st {

/// Concatenation by appending (`"literal" + std::string&&` trips GCC 12's false -Wrestrict, PR 105329).
template <class... P>
std::string cat(const P&... pieces) {
    return graft::io::detail::atomic_cat(pieces...);
}

// ---- dtypes ----

inline std::string_view dtype_code(DType d) noexcept {
    switch (d) {
        case DType::f32: return "F32";
        case DType::f64: return "F64";
        case DType::i32: return "I32";
        case DType::u8: return "U8";
    }
    return "?";
}

inline bool parse_dtype_code(std::string_view s, DType& out) noexcept {
    if (s == "F32") out = DType::f32;
    else if (s == "F64") out = DType::f64;
    else if (s == "I32") out = DType::i32;
    else if (s == "U8") out = DType::u8;
    else return false;
    return true;
}

/// Dtypes the safetensors format defines that graft does not hold.
inline bool is_known_unsupported_dtype(std::string_view s) noexcept {
    for (std::string_view k : {"BOOL", "I8", "I16", "U16", "F16", "BF16", "U32", "I64", "U64", "C64", "F8_E5M2",
                               "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"})
        if (s == k) return true;
    return false;
}

// ---- byte order ----

inline void store_le64(unsigned char* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

inline std::uint64_t load_le64(const unsigned char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}

/// Swaps every `elem`-byte element in place (only called on big-endian hosts).
inline void swap_elements(unsigned char* p, std::size_t bytes, std::size_t elem) noexcept {
    if (elem <= 1) return;
    for (std::size_t i = 0; i + elem <= bytes; i += elem) std::reverse(p + i, p + i + elem);
}

inline constexpr bool host_is_little = std::endian::native == std::endian::little;

// ---- UTF-8 ----

/// Offset of the first byte that breaks strict UTF-8 (no overlongs, surrogates or code points > U+10FFFF),
/// or npos if `s` is valid.
inline std::size_t utf8_error(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) { ++i; continue; }
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) { len = 3; lo = 0xA0; }
        else if (c == 0xED) { len = 3; hi = 0x9F; }  // no UTF-16 surrogates
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
        else if (c == 0xF0) { len = 4; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) { len = 4; hi = 0x8F; }
        else return i;
        if (n - i < len) return i;
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
        i += len;
    }
    return std::string_view::npos;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// How a byte is shown in an error: 'x' for printable ASCII, else 0xNN.
inline std::string show_byte(unsigned char c) {
    static constexpr char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7F) return cat(std::string("'"), static_cast<char>(c), "'");
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
}

/// A name as it appears in an error: quoted, control characters escaped, long names cut.
inline std::string quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) out += cat("\\x", show_byte(c).substr(7));
        else out += static_cast<char>(c);
    }
    if (s.size() > 80) out += "...";
    return cat(out, "\"");
}

// ---- JSON writing ----

inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

// ---- JSON reading ----
// The header is read by a strict RFC 8259 scanner driven by the header's schema: it builds only what it
// keeps (names, dims, offsets, metadata strings), so even a 100 MB header of "[0,0,0,..." costs at most
// 4x its size in memory, never a tree of JSON values. A value of the wrong kind is scanned only as far as
// needed to describe it in the error.

class JsonScanner {
public:
    JsonScanner(std::string_view text, const std::string& where) : s_(text), where_(where) {}

    [[noreturn]] void fail(const std::string& expected) const {
        const std::string found = i_ < s_.size() ? cat(show_byte(static_cast<unsigned char>(s_[i_])), " at header byte ", std::to_string(i_))
                                                 : cat("the end of the header at byte ", std::to_string(i_));
        throw Error(where_, cat(expected, " (invalid JSON)"), found);
    }

    void skip_ws() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    /// The next non-whitespace character, or '\0' at the end.
    char peek() {
        skip_ws();
        return i_ < s_.size() ? s_[i_] : '\0';
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++i_;
        return true;
    }
    void expect(char c, const char* what) {
        if (!eat(c)) fail(what);
    }
    /// Header byte where the next value starts.
    std::size_t next_pos() {
        skip_ws();
        return i_;
    }

    /// `"key" :` of an object member.
    std::string key() {
        if (peek() != '"') fail("a string key in a JSON object");
        std::string k = string();
        expect(':', "':' after an object key");
        return k;
    }
    /// After a member or an item: true if another follows (','), false at the `close` bracket.
    bool next(char close, const char* what) {
        if (eat(',')) return true;
        if (eat(close)) return false;
        fail(what);
    }
    /// After the top-level object: only whitespace (the padding) may remain.
    void end() {
        skip_ws();
        if (i_ != s_.size()) fail("only whitespace after the header's JSON object");
    }

    /// A JSON string (the opening quote is next); with `out` null it is only checked.
    std::string string() {
        std::string out;
        scan_string(&out);
        return out;
    }

    /// A number: its literal text, and whether it is a plain non-negative integer that fits in 64 bits.
    struct Number {
        std::string_view text;
        bool plain = false;     // no sign, fraction or exponent
        bool overflow = false;  // plain, but > 2^64-1
        std::uint64_t value = 0;
    };
    Number number() {
        skip_ws();
        Number n;
        const std::size_t start = i_;
        n.plain = true;
        if (i_ < s_.size() && s_[i_] == '-') {
            n.plain = false;
            ++i_;
        }
        if (i_ >= s_.size() || !digit(s_[i_])) fail("a JSON value");
        if (s_[i_] == '0') {
            ++i_;
            if (i_ < s_.size() && digit(s_[i_])) fail("no leading zeros in a JSON number");
        } else {
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            n.plain = false;
            ++i_;
            if (i_ >= s_.size() || !digit(s_[i_])) fail("digits after '.' in a JSON number");
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            n.plain = false;
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (i_ >= s_.size() || !digit(s_[i_])) fail("digits in a JSON number's exponent");
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
        n.text = s_.substr(start, i_ - start);
        if (n.plain)
            for (const char c : n.text) {
                const auto d = static_cast<std::uint64_t>(c - '0');
                if (n.value > (UINT64_MAX - d) / 10) {
                    n.overflow = true;
                    break;
                }
                n.value = n.value * 10 + d;
            }
        return n;
    }

    static std::string describe(const Number& n) {
        if (n.plain && n.overflow) return cat("the integer ", n.text, ", which exceeds 2^64-1");
        if (n.plain) return cat("the integer ", n.text);
        if (n.text[0] == '-') return cat("the negative number ", n.text);
        return cat("the number ", n.text, ", which is not a plain integer");
    }

    /// Reads the next value, whatever it is, and says what it was: "the string \"x\"", "the integer 5",
    /// "an array of 3 items", "an object", "true", "null". Used for "found ..." in errors.
    std::string describe_value() {
        switch (peek()) {
            case '"': return cat("the string ", quote(string()));
            case '[': return cat("an array of ", std::to_string(skip_value(0)), " items");
            case '{': skip_value(0); return "an object";
            case 't': literal("true"); return "true";
            case 'f': literal("false"); return "false";
            case 'n': literal("null"); return "null";
            default: return describe(number());
        }
    }

    /// "a string", "an array", ...: the kind of the next value, from its first character.
    std::string next_kind() {
        switch (peek()) {
            case '"': return "a string";
            case '[': return "an array";
            case '{': return "an object";
            case 't':
            case 'f': return "a boolean";
            case 'n': return "null";
            default: return "a number";
        }
    }

    /// Checks and skips one value without keeping it; returns the item count of an array (else 0).
    std::size_t skip_value(int depth) {
        if (depth > max_depth) fail(cat("JSON nested at most ", std::to_string(max_depth), " levels deep"));
        std::size_t items = 0;
        switch (peek()) {
            case '{':
                ++i_;
                if (eat('}')) break;
                do {
                    if (peek() != '"') fail("a string key in a JSON object");
                    scan_string(nullptr);
                    expect(':', "':' after an object key");
                    skip_value(depth + 1);
                } while (next('}', "',' or '}' in a JSON object"));
                break;
            case '[':
                ++i_;
                if (eat(']')) break;
                do {
                    skip_value(depth + 1);
                    ++items;
                } while (next(']', "',' or ']' in a JSON array"));
                break;
            case '"': scan_string(nullptr); break;
            case 't': literal("true"); break;
            case 'f': literal("false"); break;
            case 'n': literal("null"); break;
            default: number();
        }
        return items;
    }

private:
    static constexpr int max_depth = 64;
    static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

    void literal(std::string_view word) {
        skip_ws();
        if (s_.substr(i_, word.size()) != word) fail("a JSON value");
        i_ += word.size();
    }

    unsigned hex4() {
        if (s_.size() - i_ < 4) fail("four hex digits after \\u");
        unsigned cp = 0;
        for (int k = 0; k < 4; ++k, ++i_) {
            const char c = s_[i_];
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') cp |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') cp |= static_cast<unsigned>(c - 'A' + 10);
            else fail("four hex digits after \\u");
        }
        return cp;
    }

    void scan_string(std::string* out) {
        skip_ws();
        ++i_;  // opening quote
        for (;;) {
            if (i_ >= s_.size()) fail("a closing '\"'");
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return;
            }
            if (c < 0x20) fail("no raw control characters in a JSON string (escape them)");
            if (c != '\\') {
                if (out) *out += static_cast<char>(c);
                ++i_;
                continue;
            }
            ++i_;
            if (i_ >= s_.size()) fail("an escape character after '\\'");
            const char e = s_[i_++];
            char plain = 0;
            switch (e) {
                case '"': plain = '"'; break;
                case '\\': plain = '\\'; break;
                case '/': plain = '/'; break;
                case 'b': plain = '\b'; break;
                case 'f': plain = '\f'; break;
                case 'n': plain = '\n'; break;
                case 'r': plain = '\r'; break;
                case 't': plain = '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        i_ -= 6;
                        fail("a high surrogate before a low one in \\u escapes");
                    }
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (s_.substr(i_, 2) != "\\u") fail("a \\u low surrogate after a high surrogate");
                        i_ += 2;
                        const std::uint32_t low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) {
                            i_ -= 6;
                            fail("a \\u low surrogate after a high surrogate");
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    if (out) append_utf8(*out, cp);
                    continue;
                }
                default:
                    --i_;
                    fail("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after '\\'");
            }
            if (out) *out += plain;
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
    const std::string& where_;
};

// ---- the header ----

/// A tensor's entry in the header, checked on its own (offsets are checked against the others later).
struct Entry {
    std::string name;
    std::size_t name_at = 0;  // header byte of the name, for the duplicate message
    DType dtype = DType::f32;
    Dims dims;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

struct Header {
    std::vector<Entry> entries;  // header order
    std::map<std::string, std::string> metadata;
};

/// A non-negative integer; `what()` names it in the error (called only on failure).
template <class What>
std::uint64_t header_uint(JsonScanner& p, const std::string& where, What&& what) {
    const char c = p.peek();
    if (c != '-' && !(c >= '0' && c <= '9')) throw Error(where, cat(what(), " as a non-negative integer"), p.describe_value());
    const auto n = p.number();
    if (!n.plain || n.overflow) throw Error(where, cat(what(), " as a non-negative integer"), JsonScanner::describe(n));
    return n.value;
}

[[noreturn]] inline void duplicate_key(const std::string& where, const std::string& key, std::size_t at) {
    throw Error(where, "unique keys in each JSON object", cat("the key ", quote(key), " twice (again at header byte ", std::to_string(at), ")"));
}

/// `{"dtype": ..., "shape": [...], "data_offsets": [BEGIN, END]}` of tensor `name`.
inline Entry parse_entry(JsonScanner& p, std::string name, std::size_t name_at, const std::string& where) {
    const std::string t = cat("tensor ", quote(name));
    if (p.peek() != '{') throw Error(where, cat(t, " as an object {\"dtype\", \"shape\", \"data_offsets\"}"), p.describe_value());
    p.expect('{', "'{'");
    Entry e;
    e.name = std::move(name);
    e.name_at = name_at;
    bool have_dtype = false, have_shape = false, have_offsets = false;
    std::string dtype;
    std::vector<std::uint64_t> offsets;
    if (!p.eat('}')) do {
            const std::size_t key_at = p.next_pos();
            const std::string k = p.key();
            if (k == "dtype") {
                if (have_dtype) duplicate_key(where, k, key_at);
                have_dtype = true;
                if (p.peek() != '"') throw Error(where, cat("the dtype of ", t, " as a string"), p.describe_value());
                dtype = p.string();
            } else if (k == "shape") {
                if (have_shape) duplicate_key(where, k, key_at);
                have_shape = true;
                if (p.peek() != '[')
                    throw Error(where, cat("the shape of ", t, " as an array of non-negative integers"), p.describe_value());
                p.expect('[', "'['");
                if (!p.eat(']')) do {
                        const std::uint64_t n = header_uint(p, where, [&] { return cat("each dim in the shape of ", t); });
                        if (n > SIZE_MAX) throw Error(where, cat("dims of ", t, " that fit in std::size_t"), std::to_string(n));
                        e.dims.push_back(static_cast<std::size_t>(n));
                    } while (p.next(']', "',' or ']' in a JSON array"));
            } else if (k == "data_offsets") {
                if (have_offsets) duplicate_key(where, k, key_at);
                have_offsets = true;
                auto what = [&] { return cat("data_offsets of ", t, " as [BEGIN, END]"); };
                if (p.peek() != '[') throw Error(where, what(), p.describe_value());
                p.expect('[', "'['");
                std::size_t count = 0;
                if (!p.eat(']')) do {
                        if (offsets.size() < 2)
                            offsets.push_back(header_uint(p, where, [&] { return cat(offsets.empty() ? "BEGIN" : "END", " in the data_offsets of ", t); }));
                        else
                            (void)p.skip_value(1);  // too many: checked and counted for the message
                        ++count;
                    } while (p.next(']', "',' or ']' in a JSON array"));
                if (count != 2) throw Error(where, what(), cat("an array of ", std::to_string(count), " items"));
            } else {
                throw Error(where, cat("only \"dtype\", \"shape\" and \"data_offsets\" in ", t), cat("the field ", quote(k)));
            }
        } while (p.next('}', "',' or '}' in a JSON object"));
    for (const auto& [field, have] : {std::pair{"dtype", have_dtype}, std::pair{"shape", have_shape}, std::pair{"data_offsets", have_offsets}})
        if (!have) throw Error(where, cat(t, " to have \"", field, "\""), cat("no \"", field, "\" field"));

    if (!parse_dtype_code(dtype, e.dtype)) {
        const std::string expected = cat("dtype F32, F64, I32 or U8 for ", t);
        if (is_known_unsupported_dtype(dtype)) throw Error(where, expected, cat("unsupported dtype ", dtype));
        throw Error(where, expected, cat("unknown dtype ", quote(dtype)));
    }
    std::uint64_t numel = 1;
    for (const std::size_t n : e.dims) {
        if (n != 0 && numel > UINT64_MAX / n) {
            std::string dims = "[";
            for (std::size_t k = 0; k < e.dims.size(); ++k) {
                if (k) dims += ',';
                dims += std::to_string(e.dims[k]);
            }
            throw Error(where, cat("a shape of ", t, " with at most 2^64-1 elements"), cat("shape ", dims, "], whose element count overflows"));
        }
        numel *= n;
    }
    const std::uint64_t esize = dtype_size(e.dtype);
    if (numel > UINT64_MAX / esize)
        throw Error(where, cat("a byte size of ", t, " that fits in 64 bits"),
                    cat(std::to_string(numel), " elements of ", std::to_string(esize), " bytes"));

    e.begin = offsets[0];
    e.end = offsets[1];
    auto range = [&] { return cat("[", std::to_string(e.begin), ", ", std::to_string(e.end), "]"); };
    if (e.end < e.begin) throw Error(where, cat("data_offsets [BEGIN, END] of ", t, " with END >= BEGIN"), range());
    if (e.end - e.begin != numel * esize)
        throw Error(where,
                    cat(t, " (", dtype_code(e.dtype), " ", shape_string(e.dims), ") to span ", std::to_string(numel * esize), " bytes"),
                    cat("data_offsets ", range(), " spanning ", std::to_string(e.end - e.begin), " bytes"));
    return e;
}

/// `{"key": "value", ...}` of __metadata__.
inline void parse_metadata(JsonScanner& p, std::map<std::string, std::string>& out, const std::string& where) {
    if (p.peek() != '{') throw Error(where, "__metadata__ as an object of string values", p.next_kind());
    p.expect('{', "'{'");
    if (p.eat('}')) return;
    do {
        const std::size_t key_at = p.next_pos();
        std::string k = p.key();
        if (p.peek() != '"') throw Error(where, "string values in __metadata__", cat("the key ", quote(k), " holding ", p.describe_value()));
        std::string v = p.string();
        if (out.contains(k)) duplicate_key(where, k, key_at);
        out.emplace(std::move(k), std::move(v));
    } while (p.next('}', "',' or '}' in a JSON object"));
}

/// Parses and checks the JSON header, and checks that the tensors tile the `data_size` data bytes exactly.
/// Returns the entries in header order.
inline Header parse_header(std::string_view text, std::uint64_t data_size, const std::string& where) {
    if (const std::size_t bad = utf8_error(text); bad != std::string_view::npos)
        throw Error(where, "a UTF-8 encoded header",
                    cat("invalid UTF-8 ", show_byte(static_cast<unsigned char>(text[bad])), " at header byte ", std::to_string(bad)));
    if (text.empty() || text[0] != '{')
        throw Error(where, "a JSON object header starting with '{'",
                    text.empty() ? std::string("an empty header") : show_byte(static_cast<unsigned char>(text[0])));

    Header h;
    JsonScanner p(text, where);
    p.expect('{', "'{'");
    bool have_metadata = false;
    if (!p.eat('}')) do {
            const std::size_t key_at = p.next_pos();
            std::string key = p.key();
            if (key == "__metadata__") {
                if (have_metadata) duplicate_key(where, key, key_at);
                have_metadata = true;
                parse_metadata(p, h.metadata, where);
            } else {
                h.entries.push_back(parse_entry(p, std::move(key), key_at, where));
            }
        } while (p.next('}', "',' or '}' in a JSON object"));
    p.end();

    // Duplicate names, found by sorting (a quadratic scan would let a big header stall the reader).
    {
        std::vector<const Entry*> by_name;
        by_name.reserve(h.entries.size());
        for (const auto& e : h.entries) by_name.push_back(&e);
        std::sort(by_name.begin(), by_name.end(),
                  [](const Entry* a, const Entry* b) { return a->name != b->name ? a->name < b->name : a->name_at < b->name_at; });
        for (std::size_t k = 1; k < by_name.size(); ++k)
            if (by_name[k]->name == by_name[k - 1]->name)
                throw Error(where, "unique tensor names",
                            cat("the tensor name ", quote(by_name[k]->name), " twice (again at header byte ", std::to_string(by_name[k]->name_at), ")"));
    }

    // In offset order, each tensor must start where the previous one ended: no overlap, no hole.
    std::vector<const Entry*> order;
    order.reserve(h.entries.size());
    for (const auto& e : h.entries) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t at = 0;
    const Entry* prev = nullptr;
    for (const Entry* e : order) {
        // (the message pieces are built only on failure: a header may list a million tensors)
        auto range = [&] { return cat("data_offsets [", std::to_string(e->begin), ", ", std::to_string(e->end), "]"); };
        auto starts = [&] {
            return cat("tensor ", quote(e->name), " to start at data byte ", std::to_string(at), ", ",
                       prev ? cat("right after tensor ", quote(prev->name)) : std::string("at the start of the data"));
        };
        if (e->begin < at) throw Error(where, starts(), cat(range(), ", overlapping tensor ", quote(prev->name)));
        if (e->begin > at)
            throw Error(where, starts(), cat(range(), ", leaving a hole of ", std::to_string(e->begin - at), " unused bytes"));
        if (e->end > data_size)
            throw Error(where, cat("tensor ", quote(e->name), " to end within the ", std::to_string(data_size), " data bytes in the file"),
                        cat(range(), ", ", std::to_string(e->end - data_size), " bytes past the end of the file (truncated?)"));
        at = e->end;
        prev = e;
    }
    if (at != data_size)
        throw Error(where, cat("the data to end at byte ", std::to_string(at), " of the data section, where the last tensor ends"),
                    cat(std::to_string(data_size - at), " trailing bytes after the last tensor"));
    return h;
}

/// Checks the 8-byte prefix against the file size; returns the header length N.
inline std::uint64_t check_prefix(const unsigned char* first8, std::uint64_t file_size, const std::string& where) {
    const std::uint64_t n = load_le64(first8);
    if (n > safetensors_max_header)
        throw Error(where, cat("a header length of at most ", std::to_string(safetensors_max_header), " bytes"),
                    std::to_string(n));
    if (n > file_size - 8)  // file_size >= 8 was checked; 8 + n cannot overflow here
        throw Error(where, cat("a header of ", std::to_string(n), " bytes after the 8-byte length"),
                    cat("only ", std::to_string(file_size - 8), " bytes in the file after it (truncated?)"));
    return n;
}

inline void check_size(std::uint64_t file_size, const std::string& where) {
    if (file_size < 8)
        throw Error(where, "at least 8 bytes (the header length)", cat("a file of ", std::to_string(file_size), " bytes"));
}

inline SafetensorsFile::Record make_record(Entry&& e) {
    SafetensorsFile::Record r;
    r.name = std::move(e.name);
    r.dtype = e.dtype;
    r.dims = std::move(e.dims);
    r.data.resize(static_cast<std::size_t>(e.end - e.begin));
    return r;
}

/// The header text and the serialized tensors' offsets, checked for save.
inline std::string build_header(std::span<const TensorRef> tensors, const std::map<std::string, std::string>& metadata,
                                const std::string& where) {
    auto check_utf8 = [&](std::string_view s, const char* what) {
        if (const std::size_t bad = utf8_error(s); bad != std::string_view::npos)
            throw Error(where, cat(std::string(what), " in UTF-8"),
                        cat("invalid ", show_byte(static_cast<unsigned char>(s[bad])), " in ", quote(s)));
    };
    std::string json = "{";
    if (!metadata.empty()) {
        json += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [k, v] : metadata) {
            check_utf8(k, "metadata keys");
            check_utf8(v, "metadata values");
            if (!first) json += ',';
            first = false;
            append_json_string(json, k);
            json += ':';
            append_json_string(json, v);
        }
        json += '}';
    }
    std::vector<std::string_view> seen;
    seen.reserve(tensors.size());
    std::uint64_t offset = 0;
    for (const TensorRef& t : tensors) {
        check_utf8(t.name, "tensor names");
        if (t.name == "__metadata__") throw Error(where, "tensor names other than the reserved \"__metadata__\"", "\"__metadata__\"");
        seen.push_back(t.name);
        std::uint64_t numel = 1;
        for (const std::size_t d : t.dims) {
            if (d != 0 && numel > UINT64_MAX / d) throw Error(where, cat("tensor ", quote(t.name), " of at most 2^64-1 elements"), shape_string(t.dims));
            numel *= d;
        }
        const std::uint64_t bytes = numel * dtype_size(t.dtype);
        if (numel != 0 && bytes / numel != dtype_size(t.dtype))
            throw Error(where, cat("tensor ", quote(t.name), " of at most 2^64-1 bytes"), shape_string(t.dims));
        if (bytes != 0 && t.data == nullptr) throw Error(where, cat("data for tensor ", quote(t.name)), "a null pointer");
        if (offset > UINT64_MAX - bytes) throw Error(where, "a file of at most 2^64-1 bytes", "more");
        if (json.size() > 1) json += ',';
        append_json_string(json, t.name);
        json += ":{\"dtype\":\"";
        json += dtype_code(t.dtype);
        json += "\",\"shape\":[";
        for (std::size_t k = 0; k < t.dims.size(); ++k) {
            if (k) json += ',';
            json += std::to_string(t.dims[k]);
        }
        json += cat("],\"data_offsets\":[", std::to_string(offset), ",", std::to_string(offset + bytes), "]}");
        offset += bytes;
    }
    std::sort(seen.begin(), seen.end());
    if (const auto dup = std::adjacent_find(seen.begin(), seen.end()); dup != seen.end())
        throw Error(where, "unique tensor names", cat("the name ", quote(*dup), " twice"));
    json += '}';
    json.append((8 - json.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
    if (json.size() > safetensors_max_header)
        throw Error(where, cat("a header of at most ", std::to_string(safetensors_max_header), " bytes"),
                    cat(std::to_string(json.size()), " bytes"));
    return json;
}

inline std::size_t tensor_bytes(const TensorRef& t) noexcept {
    std::size_t n = dtype_size(t.dtype);
    for (const std::size_t d : t.dims) n *= d;
    return n;
}

/// Feeds the file's bytes to `sink(const unsigned char*, size_t)`: length, header, then each tensor in little-endian.
template <class Sink>
void serialize(std::span<const TensorRef> tensors, const std::string& header, Sink&& sink) {
    unsigned char len[8];
    store_le64(len, header.size());
    sink(len, 8);
    sink(reinterpret_cast<const unsigned char*>(header.data()), header.size());
    for (const TensorRef& t : tensors) {
        const std::size_t n = tensor_bytes(t);
        if (n == 0) continue;
        const auto* p = static_cast<const unsigned char*>(t.data);
        if constexpr (host_is_little) {
            sink(p, n);
        } else {
            std::vector<unsigned char> chunk;
            const std::size_t step = std::size_t{1} << 20;  // a multiple of every element size
            for (std::size_t off = 0; off < n; off += step) {
                const std::size_t m = std::min(step, n - off);
                chunk.assign(p + off, p + off + m);
                swap_elements(chunk.data(), m, dtype_size(t.dtype));
                sink(chunk.data(), m);
            }
        }
    }
}

inline void to_native(SafetensorsFile::Record& r) noexcept {
    if constexpr (!host_is_little) swap_elements(r.data.data(), r.data.size(), dtype_size(r.dtype));
}

/// Reads exactly `n` bytes at `offset`; a short read means the file changed under us.
inline void read_exact(int fd, unsigned char* dst, std::uint64_t n, std::uint64_t offset, const std::string& where) {
    while (n > 0) {
        const std::size_t chunk = n < (std::uint64_t{1} << 30) ? static_cast<std::size_t>(n) : (std::size_t{1} << 30);
        const ::ssize_t got = ::pread(fd, dst, chunk, static_cast<::off_t>(offset));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw Error(where, cat("cannot read at byte ", std::to_string(offset), ": ", graft::io::detail::atomic_errno_text(errno)));
        }
        if (got == 0)
            throw Error(where, cat(std::to_string(n), " more bytes at byte ", std::to_string(offset)),
                        "the end of the file (did it shrink while being read?)");
        dst += got;
        n -= static_cast<std::uint64_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
}

/// Closes a file descriptor on scope exit.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace detail::st

inline std::vector<unsigned char> safetensors_bytes(std::span<const TensorRef> tensors,
                                                    const std::map<std::string, std::string>& metadata) {
    const std::string header = detail::st::build_header(tensors, metadata, "safetensors_bytes");
    std::size_t total = 8 + header.size();
    for (const auto& t : tensors) total += detail::st::tensor_bytes(t);
    std::vector<unsigned char> out;
    out.reserve(total);
    detail::st::serialize(tensors, header, [&](const unsigned char* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

inline void save_safetensors(const std::string& path, std::span<const TensorRef> tensors,
                             const std::map<std::string, std::string>& metadata) {
    const std::string header = detail::st::build_header(tensors, metadata, detail::st::cat("save_safetensors: ", path));
    AtomicFile f(path);
    detail::st::serialize(tensors, header, [&](const unsigned char* p, std::size_t n) { f.write(p, n); });
    f.commit();
}

inline void save_safetensors(const std::string& path, std::initializer_list<TensorRef> tensors,
                             const std::map<std::string, std::string>& metadata) {
    save_safetensors(path, std::span<const TensorRef>(tensors.begin(), tensors.size()), metadata);
}

inline SafetensorsFile parse_safetensors(std::span<const unsigned char> bytes, std::string_view name) {
    namespace st = detail::st;
    const std::string where = detail::st::cat("parse_safetensors: ", std::string(name));
    st::check_size(bytes.size(), where);
    const std::uint64_t n = st::check_prefix(bytes.data(), bytes.size(), where);
    st::Header h = st::parse_header({reinterpret_cast<const char*>(bytes.data() + 8), static_cast<std::size_t>(n)},
                                    bytes.size() - 8 - n, where);
    const unsigned char* data = bytes.data() + 8 + n;
    SafetensorsFile f;
    f.metadata = std::move(h.metadata);
    f.tensors.reserve(h.entries.size());
    for (auto& e : h.entries) {
        const std::uint64_t begin = e.begin;
        auto& r = f.tensors.emplace_back(st::make_record(std::move(e)));
        if (!r.data.empty()) std::memcpy(r.data.data(), data + begin, r.data.size());
        st::to_native(r);
    }
    return f;
}

inline SafetensorsFile load_safetensors(const std::string& path) {
    namespace st = detail::st;
    const std::string where = detail::st::cat("load_safetensors: ", path);
    int fd = -1;
    do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) throw Error(where, detail::st::cat("cannot open: ", detail::atomic_errno_text(errno)));
    const st::FdGuard guard{fd};
    struct stat sb {};
    if (::fstat(fd, &sb) != 0) throw Error(where, detail::st::cat("cannot stat: ", detail::atomic_errno_text(errno)));
    if (!S_ISREG(sb.st_mode)) throw Error(where, "a regular file", S_ISDIR(sb.st_mode) ? "a directory" : "a special file");
    const auto file_size = static_cast<std::uint64_t>(sb.st_size);

    st::check_size(file_size, where);
    unsigned char prefix[8];
    st::read_exact(fd, prefix, 8, 0, where);
    const std::uint64_t n = st::check_prefix(prefix, file_size, where);
    std::string header(static_cast<std::size_t>(n), '\0');
    st::read_exact(fd, reinterpret_cast<unsigned char*>(header.data()), n, 8, where);
    st::Header h = st::parse_header(header, file_size - 8 - n, where);

    SafetensorsFile f;
    f.metadata = std::move(h.metadata);
    f.tensors.reserve(h.entries.size());
    for (auto& e : h.entries) {
        const std::uint64_t begin = e.begin;
        auto& r = f.tensors.emplace_back(st::make_record(std::move(e)));
        st::read_exact(fd, r.data.data(), r.data.size(), 8 + n + begin, where);
        st::to_native(r);
    }
    return f;
}

inline const SafetensorsFile::Record* SafetensorsFile::find(std::string_view name) const noexcept {
    for (const auto& r : tensors)
        if (r.name == name) return &r;
    return nullptr;
}

inline const SafetensorsFile::Record& SafetensorsFile::at(std::string_view name) const {
    if (const Record* r = find(name)) return *r;
    std::string have;
    for (const auto& r : tensors) have += detail::st::cat((have.empty() ? "" : ", "), detail::st::quote(r.name));
    throw Error("SafetensorsFile::at", detail::st::cat("a tensor named ", detail::st::quote(name)),
                detail::st::cat("none among ", (have.empty() ? std::string("no tensors") : have)));
}

template <Element T>
std::vector<T> SafetensorsFile::Record::values() const {
    if (dtype != dtype_of<T>)
        throw Error(detail::st::cat("SafetensorsFile::Record::values: tensor ", detail::st::quote(name)), std::string(dtype_name(dtype_of<T>)),
                    std::string(dtype_name(dtype)));
    std::vector<T> out(data.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), data.data(), out.size() * sizeof(T));
    return out;
}

template <Element T, ShapeType S>
Tensor<T, S> SafetensorsFile::Record::to_tensor() const {
    if (dtype != dtype_of<T> || !std::equal(dims.begin(), dims.end(), S::dims.begin(), S::dims.end()))
        throw Error(detail::st::cat("SafetensorsFile::Record::to_tensor: tensor ", detail::st::quote(name)),
                    detail::st::cat(std::string(dtype_name(dtype_of<T>)), " ", S::name()), detail::st::cat(std::string(dtype_name(dtype)), " ", shape_string(dims)));
    Tensor<T, S> t;
    if (S::size != 0) std::memcpy(t.data(), data.data(), S::size * sizeof(T));
    return t;
}

}  // namespace graft::io
