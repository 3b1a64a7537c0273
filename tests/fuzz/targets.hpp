// SPDX-License-Identifier: MIT
// tests/fuzz/targets.hpp: the bodies of graft's fuzz targets, shared by the libFuzzer drivers
// (tests/fuzz/fuzz_main.cpp, built per target with clang -fsanitize=fuzzer,address,undefined by tools/fuzz.sh) and by
// the replay tests (tests/io/fuzz_replay_test.cpp, tests/passes/fuzz_replay_test.cpp), which run every
// seed and every saved crash through them in the normal and the ASan test suites.
//
// Each target takes arbitrary bytes. Refusing them with graft::Error is a correct outcome; anything else
// that goes wrong is a finding: a crash or sanitizer report, another exception type, or a broken property,
// reported by throwing graft_fuzz::Failure. The properties are round trips where graft has a writer:
//   idx          read_idx(file) -> write_idx -> read_idx gives the same array; for a plain file the written
//                bytes are the input bytes; the typed reader agrees with the untyped one.
//   idx_gz       the same bytes gzip-compressed read exactly as the plain bytes do (or fail as they do).
//   safetensors  parse -> safetensors_bytes -> parse gives the same tensors and metadata, and writing
//                again gives the same bytes; load_safetensors of the file agrees with parse_safetensors.
//   csv          (first byte: header flag and delimiter) parse_csv -> format_csv -> parse_csv gives the same
//                table; the typed reader only succeeds where the untyped one does.
//   graph        the bytes are a program of Graph::add calls (ops, operands, attributes, shapes); each call
//                builds a node or throws graft::Error. The graph is then verified, compiled without and
//                with passes::standard(), run, and compared with reference::evaluate; its gradient graph
//                too when it has one. Where a comparison of computed values is decided differently by
//                the last bit (see tie_sensitive), what follows from it is not compared.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <graft/autodiff/grad.hpp>
#include <graft/exec/compile.hpp>
#include <graft/exec/machine.hpp>
#include <graft/exec/reference.hpp>
#include <graft/graph/print.hpp>
#include <graft/graph/verify.hpp>
#include <graft/io/csv.hpp>
#include <graft/io/idx.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/passes.hpp>

#ifdef GRAFT_HAS_ZLIB
#include <zlib.h>
#endif

namespace graft_fuzz {

/// A broken property (not a refusal): the driver aborts on it, the replay tests fail on it.
class Failure : public std::exception {
public:
    explicit Failure(std::string what) : what_(std::move(what)) {}
    [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

inline void require(bool ok, const char* property) {
    if (!ok) throw Failure(std::string("property broken: ") + property);
}

/// A directory of this process for the files the targets write (in /dev/shm when there is one),
/// removed when the process exits normally.
inline const std::filesystem::path& scratch() {
    struct Dir {
        std::filesystem::path path;
        Dir() {
            namespace fs = std::filesystem;
            std::error_code ec;
            const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
            std::string leaf = "graft-fuzz-";
            leaf += std::to_string(::getpid());
            path = base / leaf;
            fs::create_directories(path);
        }
        ~Dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const Dir dir;
    return dir.path;
}

inline std::string scratch_file(const char* name) { return (scratch() / name).string(); }

inline void put_file(const std::string& path, const void* data, std::size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw Failure("cannot create the scratch file " + path);
    const bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
    std::fclose(f);
    if (!ok) throw Failure("cannot write the scratch file " + path);
}

inline std::vector<unsigned char> get_file(const std::string& path) {
    std::vector<unsigned char> out;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Failure("cannot read back " + path);
    unsigned char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.insert(out.end(), buf, buf + n);
    std::fclose(f);
    return out;
}

// ------------------------------------------------------------------------------------------------- IDX

inline bool same_array(const graft::io::IdxArray& a, const graft::io::IdxArray& b) {
    return a.dtype == b.dtype && a.dims == b.dims && a.data.size() == b.data.size() &&
           (a.data.size() == 0 || std::memcmp(a.data.data(), b.data.data(), a.data.size()) == 0);
}

/// read_idx of `path`: the array, or false when it refused the file with graft::Error.
inline bool try_read_idx(const std::string& path, graft::io::IdxArray& out) {
    try {
        out = graft::io::read_idx(path);
        return true;
    } catch (const graft::Error&) {
        return false;
    }
}

/// The typed reader on the same file must succeed exactly when the untyped one read a u8 [2,3] array.
inline void check_typed_idx(const std::string& path, bool untyped_ok, const graft::io::IdxArray& a) {
    const bool is_u8_2x3 = untyped_ok && a.dtype == graft::DType::u8 && a.dims == graft::Dims{2, 3};
    try {
        const auto t = graft::io::read_idx<std::uint8_t, graft::Shape<2, 3>>(path);
        require(is_u8_2x3, "the typed read_idx accepted a file the untyped one refused or read differently");
        require(std::memcmp(t.data(), a.data.data(), 6) == 0, "typed and untyped read_idx read different bytes");
    } catch (const graft::Error&) {
        require(!is_u8_2x3, "the typed read_idx refused a u8 [2,3] file the untyped one read");
    }
}

inline void idx_one(const std::uint8_t* data, std::size_t size) {
    const std::string in = scratch_file("in.idx");
    put_file(in, data, size);
    graft::io::IdxArray a;
    const bool ok = try_read_idx(in, a);
    check_typed_idx(in, ok, a);
    if (!ok) return;
    std::size_t n = graft::dtype_size(a.dtype);
    for (auto d : a.dims) n *= d;
    require(a.data.size() == n, "read_idx returned data whose size is not dims x element size");
    const std::string out = scratch_file("out.idx");
    graft::io::write_idx(out, a);  // a graft::Error here escapes: the writer refused what the reader gave
    graft::io::IdxArray b;
    require(try_read_idx(out, b), "read_idx refused a file write_idx wrote");
    require(same_array(a, b), "read_idx(write_idx(a)) differs from a");
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!gzip) {
        const auto written = get_file(out);
        require(written.size() == size && std::equal(written.begin(), written.end(), data),
                "write_idx(read_idx(file)) differs from the plain file's bytes");
    }
}

#ifdef GRAFT_HAS_ZLIB
/// `bytes` as one gzip member (zlib, default level).
inline std::vector<unsigned char> gzip_bytes(const std::uint8_t* data, std::size_t size) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Failure("deflateInit2 failed");
    std::vector<unsigned char> out(deflateBound(&zs, static_cast<uLong>(size)) + 32);
    zs.next_in = const_cast<Bytef*>(data);
    zs.avail_in = static_cast<uInt>(size);
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw Failure("deflate did not finish");
    return out;
}
#endif

inline void idx_gz_one(const std::uint8_t* data, std::size_t size) {
#ifdef GRAFT_HAS_ZLIB
    const std::string plain = scratch_file("plain.idx");
    const std::string packed = scratch_file("packed.idx.gz");
    put_file(plain, data, size);
    const auto gz = gzip_bytes(data, size);
    put_file(packed, gz.data(), gz.size());
    graft::io::IdxArray a, b;
    const bool ok_plain = try_read_idx(plain, a);
    const bool ok_gz = try_read_idx(packed, b);
    check_typed_idx(packed, ok_gz, b);
    const bool input_is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;  // then gz is gzip inside gzip
    if (input_is_gzip) return;
    require(ok_plain == ok_gz, "read_idx accepts the plain bytes but not their gzip (or the reverse)");
    if (ok_plain) require(same_array(a, b), "read_idx reads a gzip file differently from its plain bytes");
#else
    (void)data;
    (void)size;
#endif
}

// ------------------------------------------------------------------------------------------- safetensors

inline bool same_file(const graft::io::SafetensorsFile& a, const graft::io::SafetensorsFile& b) {
    if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
    for (std::size_t i = 0; i < a.tensors.size(); ++i) {
        const auto &x = a.tensors[i], &y = b.tensors[i];
        if (x.name != y.name || x.dtype != y.dtype || x.dims != y.dims || x.data != y.data) return false;
    }
    return true;
}

inline std::vector<unsigned char> to_safetensors(const graft::io::SafetensorsFile& f) {
    std::vector<graft::io::TensorRef> refs;
    for (const auto& r : f.tensors) refs.push_back({r.name, r.dtype, r.dims, r.data.empty() ? nullptr : r.data.data()});
    return graft::io::safetensors_bytes(refs, f.metadata);
}

inline void safetensors_one(const std::uint8_t* data, std::size_t size) {
    graft::io::SafetensorsFile f;
    bool ok = true;
    try {
        f = graft::io::parse_safetensors(std::span<const unsigned char>(data, size), "fuzz");
    } catch (const graft::Error&) {
        ok = false;
    }
    // the file reader runs the same checks
    const std::string path = scratch_file("in.safetensors");
    put_file(path, data, size);
    try {
        const auto g = graft::io::load_safetensors(path);
        require(ok && same_file(f, g), "load_safetensors and parse_safetensors disagree");
    } catch (const graft::Error&) {
        require(!ok, "load_safetensors refused what parse_safetensors read");
    }
    if (!ok) return;
    for (const auto& r : f.tensors) {
        std::size_t n = graft::dtype_size(r.dtype);
        for (auto d : r.dims) n *= d;
        require(r.data.size() == n, "a loaded tensor's byte count is not dims x element size");
        require(f.find(r.name) == &r, "find() does not return the tensor of that name");
    }
    const auto bytes = to_safetensors(f);  // a graft::Error here escapes: the writer refused what the reader gave
    graft::io::SafetensorsFile g;
    try {
        g = graft::io::parse_safetensors(bytes, "round trip");
    } catch (const graft::Error& e) {
        throw Failure(std::string("parse_safetensors refused what safetensors_bytes wrote: ") + e.what());
    }
    require(same_file(f, g), "parse(safetensors_bytes(parse(file))) differs from parse(file)");
    require(to_safetensors(g) == bytes, "safetensors_bytes is not a fixed point after one round trip");
}

// --------------------------------------------------------------------------------------------------- CSV

inline constexpr char csv_delimiters[8] = {',', ';', '\t', '|', ' ', ':', '1', 'e'};

inline bool same_table(const graft::io::CsvTable& a, const graft::io::CsvTable& b) {
    if (a.columns != b.columns || a.rows != b.rows || a.values.size() != b.values.size()) return false;
    if (a.rows != 0 && a.cols != b.cols) return false;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        const double x = a.values[i], y = b.values[i];
        if (std::isnan(x) ? !std::isnan(y) || std::signbit(x) != std::signbit(y) : std::memcmp(&x, &y, sizeof x) != 0) return false;
    }
    return true;
}

inline void csv_one(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const graft::io::CsvOptions opt{.header = (data[0] & 1) != 0, .delimiter = csv_delimiters[(data[0] >> 1) & 7]};
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    graft::io::CsvTable t;
    bool ok = true;
    try {
        t = graft::io::parse_csv(text, opt);
    } catch (const graft::Error&) {
        ok = false;
    }
    try {
        const auto typed = graft::io::parse_csv<float, graft::Shape<2, 2>>(text, opt);
        require(ok && t.rows == 2 && t.cols == 2, "the typed parse_csv accepted a text the untyped one refused");
        for (std::size_t i = 0; i < 4; ++i) {
            const double v = t.values[i];
            const float f = typed.data()[i];
            const bool same = std::isnan(v) ? std::isnan(f)
                              : std::isinf(v) ? double(f) == v
                                              : std::fabs(double(f) - v) <= std::fabs(v) * 1.2e-7 + 1.5e-45;
            require(same,
                    "typed and untyped parse_csv read different numbers");
        }
    } catch (const graft::Error&) {
    }
    if (!ok) return;
    require(t.values.size() == t.rows * t.cols, "values.size() != rows * cols");
    require(!opt.header || t.columns.size() == t.cols, "a header whose names do not match the column count");
    if (t.rows == 0 && !opt.header) return;  // nothing to write
    std::string again;
    try {
        again = graft::io::format_csv(t, opt);
    } catch (const graft::Error& e) {
        throw Failure(std::string("format_csv refused a table parse_csv read: ") + e.what());
    }
    graft::io::CsvTable u;
    try {
        u = graft::io::parse_csv(again, opt);
    } catch (const graft::Error& e) {
        throw Failure(std::string("parse_csv refused what format_csv wrote: ") + e.what());
    }
    require(same_table(t, u), "parse_csv(format_csv(table)) differs from the table");
    require(graft::io::format_csv(u, opt) == again, "format_csv is not a fixed point after one round trip");
}

// ------------------------------------------------------------------------------------------------- graph

/// Reads the fuzz input a byte at a time; zeros once it is used up.
class ByteReader {
public:
    ByteReader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
    std::uint8_t next() { return i_ < n_ ? d_[i_++] : 0; }
    [[nodiscard]] bool done() const { return i_ >= n_; }
    std::size_t below(std::size_t k) { return k ? next() % k : 0; }

private:
    const std::uint8_t* d_;
    std::size_t n_, i_ = 0;
};

inline constexpr std::size_t fuzz_max_elements = 4096;  ///< a bigger node ends the program (time, not safety)

inline double pick_scalar(ByteReader& r) {
    static constexpr double table[16] = {0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -2.5, 1e-3, 1e4, -1e4, 0.25, 10.0, 1e-30, 7.0, -0.5, 4.0};
    return table[r.below(16)];
}

inline graft::Dims pick_dims(ByteReader& r, std::size_t max_rank) {
    graft::Dims d(r.below(max_rank + 1));
    for (auto& x : d) x = r.below(8) == 0 ? 0 : 1 + r.below(4);
    return d;
}

inline graft::DType pick_dtype(ByteReader& r) {
    switch (r.below(8)) {
        case 0: return graft::DType::f32;
        case 1: return graft::DType::i32;
        case 2: return graft::DType::u8;
        default: return graft::DType::f64;
    }
}

/// Attributes from the next bytes: axis, flags, scalars, up to 8 ints (perm / dims / conv params).
inline graft::Attrs pick_attrs(ByteReader& r) {
    graft::Attrs a;
    a.axis = static_cast<std::int64_t>(r.below(9)) - 4;
    const std::uint8_t flags = r.next();
    a.all_axes = flags & 1;
    a.keepdims = flags & 2;
    a.scalar = pick_scalar(r);
    a.scalar2 = pick_scalar(r);
    a.start = r.below(6);
    a.stop = r.below(7);
    a.ints.resize(r.below(9));
    for (auto& v : a.ints) v = r.below(6);
    if (flags & 4) a.reals = {pick_scalar(r), pick_scalar(r)};
    a.dtype = pick_dtype(r);
    return a;
}

inline std::size_t elements(const graft::Dims& d) {
    std::size_t n = 1;
    for (auto x : d) n *= x;
    return n;
}

/// Inputs of `g` filled deterministically in [-2, 2] (integers in [0, 3]).
inline graft::reference::Bindings fuzz_bindings(const graft::Graph& g) {
    graft::reference::Bindings b;
    std::uint64_t k = 0;
    for (const auto& n : g.nodes()) {
        if (n.op != graft::OpKind::input) continue;
        graft::reference::Value v{n.dtype, n.dims, std::vector<double>(elements(n.dims))};
        for (std::size_t i = 0; i < v.data.size(); ++i) {
            const std::uint64_t h = (k * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull) >> 40;
            const bool integer = n.dtype == graft::DType::i32 || n.dtype == graft::DType::u8;
            v.data[i] = integer ? double(h % 4) : graft::reference::round_to(n.dtype, double(h % 4001) / 1000.0 - 2.0);
        }
        b.inputs[n.name] = std::move(v);
        ++k;
    }
    return b;
}

inline std::vector<unsigned char> value_bytes(const graft::reference::Value& v) { return graft::reference::to_bytes(v); }

/// Compiles `outs` of `g` with `opt`, binds `b`, runs once; the outputs as reference Values.
inline std::vector<graft::reference::Value> run_compiled(const graft::Graph& g, const std::vector<graft::NodeId>& outs,
                                                         const graft::reference::Bindings& b, const graft::CompileOptions& opt) {
    graft::Machine m(graft::compile(g, outs, opt));
    for (const auto& [name, v] : b.inputs) {
        const graft::NodeId id = g.find(name);
        if (id == graft::no_node || m.program().slot_of(id) == UINT32_MAX) continue;
        const auto bytes = value_bytes(v);
        m.let(name, v.dtype, v.dims, bytes.data());
    }
    m.run();
    std::vector<graft::reference::Value> res;
    for (auto o : outs) {
        const graft::ValueRef r = m.value(o);
        res.push_back(graft::reference::from_bytes(r.dtype, *r.dims, r.data));
    }
    return res;
}

/// Compiled and reference values agree: exactly for integers, closely for finite floats. Values the
/// reference computes as NaN, ±inf or beyond 1e6 are not compared (reassociation may overflow there).
/// Returns the index of the first element that differs, or SIZE_MAX.
inline std::size_t first_difference(const graft::reference::Value& got, const graft::reference::Value& want) {
    if (got.dims != want.dims || got.data.size() != want.data.size()) return 0;
    const bool f32 = want.dtype == graft::DType::f32;
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        const double x = got.data[i], y = want.data[i];
        if (!std::isfinite(y) || std::fabs(y) > 1e6) continue;
        const double tol = f32 ? 1e-3 + 1e-3 * std::fabs(y) : 1e-7 + 1e-7 * std::fabs(y);
        if (!(std::fabs(x - y) <= tol)) return i;
    }
    return SIZE_MAX;
}

/// Throws Failure with the graph and the differing element unless `got` matches `want` everywhere.
inline void require_close(const std::vector<graft::reference::Value>& got, const std::vector<graft::reference::Value>& want,
                          const std::vector<graft::NodeId>& outs, const graft::Graph& g, const char* what) {
    for (std::size_t k = 0; k < outs.size(); ++k) {
        const std::size_t i = first_difference(got[k], want[k]);
        if (i == SIZE_MAX) continue;
        std::string msg = what;
        msg += ": output %";
        msg += std::to_string(outs[k]);
        if (i < got[k].data.size() && i < want[k].data.size()) {
            msg += " element ";
            msg += std::to_string(i);
            msg += ": got ";
            msg += graft::detail::format_double(got[k].data[i]);
            msg += ", reference ";
            msg += graft::detail::format_double(want[k].data[i]);
        } else {
            msg += ": dims differ";
        }
        msg += "\n";
        msg += graft::print(g);
        throw Failure(msg);
    }
}

/// Builds a graph from the bytes; returns the nodes the program left as candidate outputs.
inline std::vector<graft::NodeId> build_fuzz_graph(ByteReader& r, graft::Graph& g, bool& random_ops) {
    using graft::OpKind;
    random_ops = false;
    std::vector<graft::NodeId> nodes;
    const std::size_t n_inputs = 1 + r.below(3);
    for (std::size_t i = 0; i < n_inputs; ++i) {
        std::string name = "x";
        name += std::to_string(i);
        // dtype, then dims: two reads in one call's arguments would be unsequenced (GCC reads the dims
        // first, clang the dtype), and the corpus clang found would build other graphs in GCC's replay
        const auto dtype = pick_dtype(r);
        nodes.push_back(g.input(name, dtype, pick_dims(r, 4)));
    }
    const std::size_t n_ops = 1 + r.below(12);
    for (std::size_t k = 0; k < n_ops && !r.done(); ++k) {
        const auto op = static_cast<OpKind>(r.below(static_cast<std::size_t>(OpKind::count)));
        try {
            graft::NodeId id = graft::no_node;
            if (op == OpKind::input || op == OpKind::param) {
                std::string name = op == OpKind::input ? "in" : "p";
                name += std::to_string(k);
                const graft::Init init{graft::Init::Kind::uniform, -1.0, 1.0, k};
                const auto dtype = pick_dtype(r);  // sequenced, as above
                const auto dims = pick_dims(r, 4);
                id = op == OpKind::input ? g.input(name, dtype, dims) : g.param(name, dtype, dims, init);
            } else if (op == OpKind::constant) {
                const auto dtype = pick_dtype(r);
                const auto dims = pick_dims(r, 3);
                std::vector<unsigned char> bytes(elements(dims) * graft::dtype_size(dtype) + 1);
                for (auto& b : bytes) b = static_cast<unsigned char>(r.below(4));
                id = g.constant(dtype, dims, bytes.data());
            } else {
                std::vector<graft::NodeId> ins(1 + r.below(3));
                for (auto& x : ins) x = nodes[r.below(nodes.size())];
                id = g.add(op, ins, pick_attrs(r));
            }
            random_ops = random_ops || op == OpKind::dropout_mask;
            if (elements(g.node(id).dims) > fuzz_max_elements) break;
            nodes.push_back(id);
        } catch (const graft::Error&) {
            // a refused call: the builder said why; go on with the next one
        }
    }
    std::vector<graft::NodeId> outs;
    for (std::size_t i = nodes.size(); i > n_inputs && outs.size() < 2; --i) outs.push_back(nodes[i - 1]);
    return outs;
}

/// The comparisons and argmaxes of `g` with a computed float operand (not a leaf). Their result is
/// decided by the last bit: a value the kernels round one ulp away from the reference's turns a tie into
/// no tie (max's VJP splits the gradient with equal(x, max(x)); found by fuzzing, a log_softmax of two
/// shifted rows). They are run as extra outputs: where compiled and reference decide one differently,
/// the values that follow from it are not compared (the run must still succeed).
inline std::vector<graft::NodeId> tie_sensitive(const graft::Graph& g) {
    using graft::OpKind;
    std::vector<graft::NodeId> t;
    for (const auto& n : g.nodes()) {
        if (n.op != OpKind::equal && n.op != OpKind::greater && n.op != OpKind::less && n.op != OpKind::argmax) continue;
        for (auto i : n.inputs) {
            const auto& in = g.node(i);
            const bool leaf = in.op == OpKind::input || in.op == OpKind::param || in.op == OpKind::constant;
            if (!leaf && (in.dtype == graft::DType::f32 || in.dtype == graft::DType::f64)) {
                t.push_back(n.id);
                break;
            }
        }
    }
    return t;
}

/// `outs` followed by `extra`.
inline std::vector<graft::NodeId> joined(std::vector<graft::NodeId> outs, const std::vector<graft::NodeId>& extra) {
    outs.insert(outs.end(), extra.begin(), extra.end());
    return outs;
}

/// Whether compiled and reference agree exactly on every value from index `first` on (the tie-sensitive ones).
inline bool ties_agree(const std::vector<graft::reference::Value>& got, const std::vector<graft::reference::Value>& want, std::size_t first) {
    for (std::size_t k = first; k < want.size(); ++k)
        if (got[k].data != want[k].data) return false;
    return true;
}

inline void graph_one(const std::uint8_t* data, std::size_t size) {
    ByteReader r(data, size);
    graft::Graph g;
    bool random_ops = false;
    const auto outs = build_fuzz_graph(r, g, random_ops);
    if (outs.empty()) return;
    try {
        graft::verify(g);
    } catch (const graft::Error& e) {
        throw Failure(std::string("Graph::add built a graph verify() refuses: ") + e.what());
    }
    const auto b = fuzz_bindings(g);
    graft::CompileOptions plain;
    plain.pipeline = graft::passes::none();
    graft::CompileOptions optimized;
    optimized.pipeline = graft::passes::standard();
    const auto fwd = joined(outs, tie_sensitive(g));
    std::vector<graft::reference::Value> want;
    try {
        want = graft::reference::evaluate(g, fwd, b);
    } catch (const graft::Error& e) {
        if (e.where() != "reference::evaluate(one_hot)")
            throw Failure(std::string("reference::evaluate refused a graph Graph::add built: ") + e.what());
        // a label outside [0, depth): the compiled programs must refuse the run the same way
        for (const auto* opt : {&plain, &optimized}) {
            try {
                (void)run_compiled(g, fwd, b, *opt);
            } catch (const graft::Error& c) {
                if (c.expected() == e.expected() && c.where().rfind("one_hot %", 0) == 0) continue;
                throw Failure(std::string("one_hot: the reference refused with \"") + e.what() + "\", a compiled program with \"" + c.what() + "\"");
            }
            throw Failure(std::string("one_hot: the reference refused (") + e.what() + "), a compiled program ran");
        }
        return;
    }
    const auto got = run_compiled(g, fwd, b, plain);
    const auto opt = run_compiled(g, fwd, b, optimized);
    if (!random_ops) {
        if (ties_agree(got, want, outs.size()))
            require_close(got, want, fwd, g, "the compiled program differs from reference::evaluate");
        if (ties_agree(opt, want, outs.size()))
            require_close(opt, want, fwd, g, "the program compiled with passes::standard() differs from reference::evaluate");
    }
    // the gradient of sum(first output) with respect to every float input, where the graph has one
    const auto& y = g.node(outs[0]);
    if (y.dtype != graft::DType::f32 && y.dtype != graft::DType::f64) return;
    std::vector<graft::NodeId> wrt;
    for (const auto& n : g.nodes())
        if (n.op == graft::OpKind::input && n.dtype == y.dtype) wrt.push_back(n.id);
    if (wrt.empty()) return;
    std::vector<graft::NodeId> grads;
    try {
        graft::Attrs all;
        all.all_axes = true;
        const graft::NodeId loss = g.add(graft::OpKind::sum, {outs[0]}, all);
        grads = graft::grad(g, loss, wrt);
    } catch (const graft::Error&) {
        return;  // not differentiable (comparisons, argmax, fused ops ...): refused with a reason
    }
    try {
        graft::verify(g);
    } catch (const graft::Error& e) {
        throw Failure(std::string("grad() built a graph verify() refuses: ") + e.what());
    }
    const auto bwd = joined(grads, tie_sensitive(g));
    const auto gw = graft::reference::evaluate(g, bwd, b);
    const auto gg = run_compiled(g, bwd, b, optimized);
    if (!random_ops && ties_agree(gg, gw, grads.size()))
        require_close(gg, gw, bwd, g, "the compiled gradient differs from reference::evaluate");
}

}  // namespace graft_fuzz
