// SPDX-License-Identifier: MIT
// graft/io/csv.hpp: read numeric CSV tables (RFC 4180 quoting, CRLF or LF, optional header and UTF-8 BOM).
// Every cell must be a number, parsed with std::from_chars (independent of the C and C++ locales); a ragged
// row, an empty or non-numeric cell or an embedded NUL is a graft::Error naming the row and the column.
// read_csv<T, S>() returns a typed Tensor and checks the table's rows and columns against S.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../tensor/tensor.hpp"
#include "atomic_write.hpp"

namespace graft::io {

/// How a CSV file is laid out.
struct CsvOptions {
    bool header = true;    ///< the first record names the columns (it is not data)
    char delimiter = ',';  ///< ',' or ';' or tab ...; never '"', CR, LF or NUL
};

/// A numeric table: `values` holds rows * cols numbers, row-major.
struct CsvTable {
    std::vector<std::string> columns;  ///< the header's names (empty without a header)
    std::size_t rows = 0;              ///< data rows (the header is not counted)
    std::size_t cols = 0;              ///< numbers per row (every row has the same count)
    std::vector<double> values;        ///< rows * cols numbers, row-major: row r starts at `values[r * cols]`

    /// The value at data row r, column c (both from 0); throws graft::Error when out of range.
    [[nodiscard]] double at(std::size_t r, std::size_t c) const;
    /// Data row r (from 0) as cols values; throws graft::Error when out of range.
    [[nodiscard]] std::span<const double> row(std::size_t r) const;
};

/// Parses CSV text. Errors name the row (counted from 1, the header being row 1, as in a spreadsheet;
/// the line is added when quoted newlines make the two differ) and the column (from 1, with its name).
inline CsvTable parse_csv(std::string_view text, CsvOptions options = {});

/// Reads and parses a CSV file (read whole into memory).
inline CsvTable read_csv(const std::string& path, CsvOptions options = {});

/// Parses CSV text into a Tensor<T, S> of rank 2 (rows x columns), checking both against S.
/// Numbers are parsed straight to T (no double rounding for float).
template <FloatElement T, ShapeType S>
Tensor<T, S> parse_csv(std::string_view text, CsvOptions options = {});

/// Reads a CSV file into a Tensor<T, S> of rank 2: `read_csv<float, Shape<150, 4>>("iris.csv")`.
template <FloatElement T, ShapeType S>
Tensor<T, S> read_csv(const std::string& path, CsvOptions options = {});

/// CSV text of a table: the header line (when options.header; the table's `columns` must name every
/// column) and one line per row, each ended by '\n'. Numbers are written in the shortest form that reads
/// back to the same value (std::to_chars: "0.1", "1e-300", "nan", "-inf"), so parse_csv(format_csv(t))
/// gives t back; a name is quoted only when it must be (delimiter, quote, CR/LF, empty, or a leading
/// byte a reader could take for a byte-order mark). Throws graft::Error for an inconsistent table, a
/// name holding a NUL byte, or a delimiter parse_csv refuses.
inline std::string format_csv(const CsvTable& table, CsvOptions options = {});

/// Writes format_csv(table, options) to `path` through io::AtomicFile (temporary + fsync + rename):
/// `path` holds either the old file or the whole new one, never a part.
inline void write_csv(const std::string& path, const CsvTable& table, CsvOptions options = {});

/// Writes a rank-2 tensor (rows x columns) as CSV; `columns` names the columns (required with a header).
/// Floats are written in float's shortest round-trip form, so read_csv<float, S> gives the tensor back.
template <FloatElement T, ShapeType S>
void write_csv(const std::string& path, const Tensor<T, S>& tensor, const std::vector<std::string>& columns = {},
               CsvOptions options = {});

// =====================================================================================================
// Implementation
// =====================================================================================================

namespace detail {

/// One field of a record, as a view into the text (between the quotes for a quoted field).
struct CsvField {
    std::string_view text;
    bool quoted = false;
    bool escaped_quotes = false;  ///< contains "" (only in quoted fields)
};

/// A value type parsed from CSV and its short name.
template <class V>
inline constexpr const char* csv_type_name = std::is_same_v<V, float> ? "f32" : "f64";

/// Shows a cell in an error message: quoted, at most 40 characters, control bytes escaped.
inline std::string csv_show(std::string_view s) {
    std::string out = "\"";
    const std::size_t limit = 40;
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\0') out += "\\0";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20) out += "\\x" + std::string{"0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
        else out += static_cast<char>(c);
    }
    if (s.size() > limit) out += "...";
    return out + "\"";
}

/// The text of a field with "" turned into ".
inline std::string csv_unescape(const CsvField& f) {
    if (!f.escaped_quotes) return std::string(f.text);
    std::string s;
    s.reserve(f.text.size());
    for (std::size_t i = 0; i < f.text.size(); ++i) {
        s += f.text[i];
        if (f.text[i] == '"') ++i;  // the second quote of ""
    }
    return s;
}

/// For a number from_chars reports out of range: true if its magnitude is below 1 (an underflow).
inline bool csv_underflows(std::string_view s) noexcept {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    long long magnitude = 0;  // decimal exponent of the first non-zero digit
    bool nonzero = false;
    long long int_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (nonzero) ++int_digits;
        else if (s[i] != '0') nonzero = true;
    }
    if (nonzero) magnitude = int_digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        for (long long k = 1; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++k)
            if (!nonzero && s[i] != '0') {
                nonzero = true;
                magnitude = -k;
            }
    }
    if (!nonzero) return false;
    long long exponent = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        const bool negative = i < s.size() && s[i] == '-';
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
            if (exponent < 1'000'000'000) exponent = exponent * 10 + (s[i] - '0');
        if (negative) exponent = -exponent;
    }
    return magnitude + exponent < 0;
}

/// The CSV state machine over a whole text; calls on_record(fields, row, line) once per record.
class CsvParser {
public:
    CsvParser(std::string_view text, const CsvOptions& options, std::string where)
        : text_(text), delim_(options.delimiter), where_(std::move(where)) {
        if (delim_ == '"' || delim_ == '\r' || delim_ == '\n' || delim_ == '\0')
            throw Error(where_, "a delimiter other than '\"', CR, LF and NUL",
                        "delimiter " + csv_show(std::string_view(&delim_, 1)));
        if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // UTF-8 byte-order mark
        else if (text_.starts_with("\xFF\xFE") || text_.starts_with("\xFE\xFF"))
            throw Error(where_, "UTF-8 text", "a UTF-16 byte-order mark");
        // Trailing empty lines are not records.
        end_ = text_.size();
        while (end_ > 0 && (text_[end_ - 1] == '\n' || text_[end_ - 1] == '\r')) --end_;
    }

    [[nodiscard]] const std::string& where() const noexcept { return where_; }
    /// Column names to show in errors (the header, once read).
    void set_names(const std::vector<std::string>* names) noexcept { names_ = names; }

    /// "row 7, column 3 (\"price\")", with "(line 9)" when a quoted newline shifted the lines.
    [[nodiscard]] std::string cell(std::size_t row, std::size_t line, std::size_t col,
                                   const std::vector<std::string>* names = nullptr) const {
        if (!names) names = names_;
        std::string s = where_ + ": row " + std::to_string(row);
        if (line != row) s += " (line " + std::to_string(line) + ")";
        if (col != 0) {
            s += ", column " + std::to_string(col);
            if (names && col <= names->size()) s += " (" + csv_show((*names)[col - 1]) + ")";
        }
        return s;
    }

    /// Runs the parser; OnRecord is void(const std::vector<CsvField>&, std::size_t row, std::size_t line).
    template <class OnRecord>
    void run(OnRecord&& on_record) {
        std::vector<CsvField> fields;
        std::size_t row = 0;
        while (pos_ < end_) {
            ++row;
            const std::size_t record_line = line_;
            fields.clear();
            for (;;) {
                fields.push_back(next_field(row, record_line, fields.size() + 1));
                if (pos_ < end_ && text_[pos_] == delim_) {
                    ++pos_;
                    continue;
                }
                break;
            }
            // at a line break or the end: consume CRLF, LF or a lone CR
            if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
            if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
            ++line_;
            on_record(fields, row, record_line);
        }
    }

private:
    CsvField next_field(std::size_t row, std::size_t record_line, std::size_t col) {
        CsvField f;
        if (pos_ < end_ && text_[pos_] == '"') {
            f.quoted = true;
            const std::size_t start = ++pos_;
            for (;;) {
                const std::size_t q = text_.find('"', pos_);
                if (q == std::string_view::npos || q >= end_)
                    throw Error(cell(row, record_line, col), "a closing quote for the field opened there",
                                "the end of the text");
                for (std::size_t i = pos_; i < q; ++i)
                    if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 >= q || text_[i + 1] != '\n'))) ++line_;
                if (q + 1 < end_ && text_[q + 1] == '"') {  // "" is one quote
                    f.escaped_quotes = true;
                    pos_ = q + 2;
                    continue;
                }
                f.text = text_.substr(start, q - start);
                pos_ = q + 1;
                break;
            }
            if (pos_ < end_ && text_[pos_] != delim_ && text_[pos_] != '\r' && text_[pos_] != '\n')
                throw Error(cell(row, record_line, col), "a delimiter or a line break after the closing quote",
                            csv_show(text_.substr(pos_, 1)));
        } else {
            const std::size_t start = pos_;
            while (pos_ < end_ && text_[pos_] != delim_ && text_[pos_] != '\r' && text_[pos_] != '\n') {
                if (text_[pos_] == '"')
                    throw Error(cell(row, record_line, col), "a quote only around a whole field (RFC 4180)",
                                "a quote inside the unquoted field " + csv_show(text_.substr(start, pos_ + 1 - start)));
                ++pos_;
            }
            f.text = text_.substr(start, pos_ - start);
        }
        if (f.text.find('\0') != std::string_view::npos)
            throw Error(cell(row, record_line, col), "text without NUL bytes", "an embedded NUL in " + csv_show(f.text));
        return f;
    }

    std::string_view text_;
    std::size_t end_ = 0;  ///< text_.size() minus trailing line breaks
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    char delim_;
    std::string where_;
    const std::vector<std::string>* names_ = nullptr;
};

/// Parses one cell as V: surrounding spaces and tabs are ignored, one leading '+' is accepted,
/// "nan" and "inf"/"infinity" (any case, signed) are accepted; hex, locale commas, trailing text are not.
/// Overflow is an error; underflow rounds to a signed zero (IEEE round-to-nearest).
template <class V>
V csv_number(const CsvField& f, const CsvParser& p, std::size_t row, std::size_t line, std::size_t col,
             const std::vector<std::string>& names) {
    std::string_view s = f.text;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.empty()) throw Error(p.cell(row, line, col, &names), "a number", "an empty cell");
    if (f.escaped_quotes) throw Error(p.cell(row, line, col, &names), "a number", csv_show(csv_unescape(f)));
    std::string_view digits = s;
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '+' && digits[1] != '-') digits.remove_prefix(1);
    V v{};
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, std::chars_format::general);
    if (ec == std::errc::invalid_argument || ptr != digits.data() + digits.size())
        throw Error(p.cell(row, line, col, &names), "a number", csv_show(s));
    if (ec == std::errc::result_out_of_range) {
        if (!csv_underflows(digits))
            throw Error(p.cell(row, line, col, &names),
                        std::string("a number within the range of ") + csv_type_name<V> + " (largest " +
                            (std::is_same_v<V, float> ? "3.4e38" : "1.8e308") + ")",
                        csv_show(s) + ", out of range");
        v = digits[0] == '-' ? -V(0) : V(0);
    }
    return v;
}

template <class V>
struct CsvParsed {
    std::vector<std::string> columns;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<V> values;
};

template <class V>
CsvParsed<V> parse_csv_as(std::string_view text, const CsvOptions& options, std::string where,
                          std::size_t reserve = 0) {
    CsvParser parser(text, options, std::move(where));
    CsvParsed<V> out;
    out.values.reserve(reserve);
    bool first = true;
    std::size_t expected_fields = 0;
    parser.run([&](const std::vector<CsvField>& fields, std::size_t row, std::size_t line) {
        if (fields.size() == 1 && fields[0].text.empty() && !fields[0].quoted)
            throw Error(parser.cell(row, line, 0),
                        first ? std::string(options.header ? "a header row" : "a first row of values")
                              : std::to_string(expected_fields) + " fields",
                        "an empty line");
        if (first) {
            first = false;
            expected_fields = fields.size();
            out.cols = fields.size();
            if (options.header) {
                out.columns.reserve(fields.size());
                for (const CsvField& f : fields) out.columns.push_back(csv_unescape(f));
                parser.set_names(&out.columns);
                return;
            }
        }
        if (fields.size() != expected_fields)
            throw Error(parser.cell(row, line, 0),
                        std::to_string(expected_fields) + " fields (as in row 1" + std::string(options.header ? ", the header)" : ")"),
                        std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields"));
        for (std::size_t c = 0; c < fields.size(); ++c)
            out.values.push_back(csv_number<V>(fields[c], parser, row, line, c + 1, out.columns));
        ++out.rows;
    });
    if (first && options.header) throw Error(parser.where(), "a header row", "an empty text");
    return out;
}

inline std::string csv_read_file(const std::string& path, const std::string& where) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        throw Error(where, "cannot open: " + (ec ? ec.message() : std::string("no such file")));
    if (std::filesystem::is_directory(status)) throw Error(where, "a regular file", "a directory");
    errno = 0;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(where, std::string("cannot open: ") + std::strerror(errno));
    std::string text;
    char buf[1 << 16];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        text.append(buf, n);
        if (n < sizeof buf) break;
    }
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) throw Error(where, std::string("read error: ") + std::strerror(err));
    return text;
}

template <FloatElement T, ShapeType S>
Tensor<T, S> csv_to_tensor(CsvParsed<T>&& p, const std::string& where) {
    static_assert(S::rank == 2, "graft::io::read_csv: a CSV table is a rank-2 tensor (rows x columns)");
    if (p.rows != S::dims[0] || p.cols != S::dims[1]) {
        const std::size_t found[2] = {p.rows, p.cols};
        throw Error(where,
                    S::name() + " (" + std::to_string(S::dims[0]) + " data rows of " + std::to_string(S::dims[1]) +
                        " columns)",
                    shape_string(found) + " (" + std::to_string(p.rows) + " data rows of " + std::to_string(p.cols) +
                        " columns)");
    }
    return Tensor<T, S>::from_range(p.values);
}

}  // namespace detail

inline double CsvTable::at(std::size_t r, std::size_t c) const {
    if (r >= rows || c >= cols) {
        const std::size_t dims[2] = {rows, cols};
        throw Error("CsvTable::at", "a row below " + std::to_string(rows) + " and a column below " + std::to_string(cols) +
                                        " (" + shape_string(dims) + ")",
                    "(" + std::to_string(r) + ", " + std::to_string(c) + ")");
    }
    return values[r * cols + c];
}

inline std::span<const double> CsvTable::row(std::size_t r) const {
    if (r >= rows) throw Error("CsvTable::row", "a row below " + std::to_string(rows), std::to_string(r));
    return {values.data() + r * cols, cols};
}

inline CsvTable parse_csv(std::string_view text, CsvOptions options) {
    auto p = detail::parse_csv_as<double>(text, options, "parse_csv");
    return CsvTable{std::move(p.columns), p.rows, p.cols, std::move(p.values)};
}

inline CsvTable read_csv(const std::string& path, CsvOptions options) {
    const std::string where = "read_csv: " + path;
    auto p = detail::parse_csv_as<double>(detail::csv_read_file(path, where), options, where);
    return CsvTable{std::move(p.columns), p.rows, p.cols, std::move(p.values)};
}

template <FloatElement T, ShapeType S>
Tensor<T, S> parse_csv(std::string_view text, CsvOptions options) {
    return detail::csv_to_tensor<T, S>(detail::parse_csv_as<T>(text, options, "parse_csv", S::size), "parse_csv");
}

template <FloatElement T, ShapeType S>
Tensor<T, S> read_csv(const std::string& path, CsvOptions options) {
    const std::string where = "read_csv: " + path;
    return detail::csv_to_tensor<T, S>(
        detail::parse_csv_as<T>(detail::csv_read_file(path, where), options, where, S::size), where);
}

namespace detail {

/// Appends one header name, quoted when a reader would otherwise see something else.
inline void csv_append_name(std::string& out, std::string_view name, char delim, bool first, const std::string& where) {
    if (name.find('\0') != std::string_view::npos)
        throw Error(where, "column names without NUL bytes", "an embedded NUL in the name " + csv_show(name));
    const bool quote = name.empty() || name.find_first_of(std::string{delim, '"', '\r', '\n'}) != std::string_view::npos ||
                       (first && static_cast<unsigned char>(name.front()) >= 0x80) ||  // a BOM-like first byte
                       name.front() == ' ' || name.front() == '\t';  // kept exact, not taken for padding
    if (!quote) {
        out += name;
        return;
    }
    out += '"';
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

/// Appends a number in its shortest round-trip form, quoted if it contains the delimiter.
template <class V>
void csv_append_number(std::string& out, V v, char delim) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    if (s.find(delim) != std::string_view::npos) {
        out += '"';
        out += s;
        out += '"';
    } else {
        out += s;
    }
}

template <class V>
std::string format_csv_values(const std::vector<std::string>& columns, std::size_t rows, std::size_t cols,
                              std::span<const V> values, const CsvOptions& options, const std::string& where) {
    const char d = options.delimiter;
    if (d == '"' || d == '\r' || d == '\n' || d == '\0')
        throw Error(where, "a delimiter other than '\"', CR, LF and NUL", "delimiter " + csv_show(std::string_view(&d, 1)));
    if (rows != 0 && cols == 0) throw Error(where, "at least one column in a table with rows", std::to_string(rows) + " rows of 0 columns");
    if (values.size() / (cols ? cols : 1) != rows || values.size() != rows * cols)
        throw Error(where, std::to_string(rows) + " x " + std::to_string(cols) + " values", std::to_string(values.size()));
    std::string out;
    if (options.header) {
        if (columns.size() != cols || cols == 0)
            throw Error(where, "a name for each of the " + std::to_string(cols) + " columns (options.header is on)",
                        std::to_string(columns.size()) + (columns.size() == 1 ? " name" : " names"));
        for (std::size_t c = 0; c < cols; ++c) {
            if (c) out += d;
            csv_append_name(out, columns[c], d, c == 0, where);
        }
        out += '\n';
    }
    out.reserve(out.size() + values.size() * 12);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
            if (c) out += d;
            csv_append_number(out, values[r * cols + c], d);
        }
        out += '\n';
    }
    return out;
}

inline void csv_write_text(const std::string& path, const std::string& text) {
    AtomicFile f(path);
    f.write(text.data(), text.size());
    f.commit();
}

}  // namespace detail

inline std::string format_csv(const CsvTable& table, CsvOptions options) {
    return detail::format_csv_values<double>(table.columns, table.rows, table.cols, table.values, options, "format_csv");
}

inline void write_csv(const std::string& path, const CsvTable& table, CsvOptions options) {
    const std::string where = "write_csv: " + path;
    detail::csv_write_text(path, detail::format_csv_values<double>(table.columns, table.rows, table.cols, table.values, options, where));
}

template <FloatElement T, ShapeType S>
void write_csv(const std::string& path, const Tensor<T, S>& tensor, const std::vector<std::string>& columns, CsvOptions options) {
    static_assert(S::rank == 2, "graft::io::write_csv: a CSV table is a rank-2 tensor (rows x columns)");
    const std::string where = "write_csv: " + path;
    detail::csv_write_text(path, detail::format_csv_values<T>(columns, S::dims[0], S::dims[1],
                                                              std::span<const T>(tensor.data(), S::size), options, where));
}

}  // namespace graft::io
