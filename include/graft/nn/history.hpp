// SPDX-License-Identifier: MIT
// graft/nn/history.hpp: a training run's per-epoch record, kept as loss.csv and drawn as loss.svg.
// Both files are written to a temporary and renamed; the SVG is written directly (no plotting
// dependency): train loss on the left axis, test accuracy on the right.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../io/atomic_write.hpp"

namespace graft::nn {

/// One epoch of a training run: a row of loss.csv.
struct EpochRecord {
    std::size_t epoch = 0;           ///< the epoch's number, the x axis of loss.svg (the examples count from 1)
    double train_loss = 0;           ///< mean training loss over the epoch
    double test_accuracy = 0;        ///< fraction of test samples classified correctly, in [0, 1]
    double seconds = 0;              ///< wall-clock time of the epoch, in seconds
    double samples_per_second = 0;   ///< training throughput over the epoch
};

namespace detail {
inline void write_text(const std::string& path, const std::string& text) {
    io::atomic_write(path, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}
inline std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}
/// `s` as XML character data: & < > " escaped.
inline std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}
}  // namespace detail

/// The header line of loss.csv.
inline constexpr const char* history_header = "epoch,train_loss,test_accuracy,seconds,samples_per_second";

/// loss.csv: "epoch,train_loss,test_accuracy,seconds,samples_per_second" and one row per epoch.
inline void write_history(const std::string& path, const std::vector<EpochRecord>& h) {
    std::string s = history_header;
    s += '\n';
    for (const auto& r : h)
        s += std::to_string(r.epoch) + "," + detail::fmt("%.6f", r.train_loss) + "," + detail::fmt("%.6f", r.test_accuracy) + "," +
             detail::fmt("%.3f", r.seconds) + "," + detail::fmt("%.1f", r.samples_per_second) + "\n";
    detail::write_text(path, s);
}

/// Reads what write_history wrote; a missing file is an empty history, a malformed one an error.
inline std::vector<EpochRecord> read_history(const std::string& path) {
    std::ifstream in(path);
    std::vector<EpochRecord> h;
    if (!in) return h;
    const std::string where = "read_history: " + path;
    std::string line;
    if (!std::getline(in, line)) return h;  // an empty file
    if (line != history_header) throw Error(where, std::string("the header \"") + history_header + "\"", "\"" + line + "\"");
    std::size_t row = 1;
    while (std::getline(in, line)) {
        ++row;
        if (line.empty()) continue;
        std::vector<std::string> cells(1);
        for (char c : line) {
            if (c == ',') cells.emplace_back();
            else cells.back() += c;
        }
        if (cells.size() != 5) throw Error(where, "5 comma-separated fields on row " + std::to_string(row), "\"" + line + "\"");
        EpochRecord r;
        auto number = [&](const std::string& cell, auto& out) {  // the whole cell, nothing before or after the number
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), out);
            if (ec != std::errc{} || end != cell.data() + cell.size())
                throw Error(where, "a number on row " + std::to_string(row), "\"" + cell + "\"");
        };
        number(cells[0], r.epoch);
        number(cells[1], r.train_loss);
        number(cells[2], r.test_accuracy);
        number(cells[3], r.seconds);
        number(cells[4], r.samples_per_second);
        h.push_back(r);
    }
    return h;
}

/// A 640x400 SVG of train loss (blue, left axis) and test accuracy (orange, right axis) per epoch.
inline void write_loss_svg(const std::string& path, const std::vector<EpochRecord>& h, const std::string& title) {
    const double W = 640, H = 400, L = 60, R = 60, T = 40, Bm = 50;
    const double pw = W - L - R, ph = H - T - Bm;
    double lmax = 0, amin = 1, amax = 0;
    for (const auto& r : h) {  // a NaN or infinite value (a diverged run) is left out of the plot
        if (std::isfinite(r.train_loss)) lmax = std::max(lmax, r.train_loss);
        if (std::isfinite(r.test_accuracy)) amin = std::min(amin, r.test_accuracy);
        if (std::isfinite(r.test_accuracy)) amax = std::max(amax, r.test_accuracy);
    }
    if (lmax <= 0) lmax = 1;
    amin = std::max(0.0, amin - 0.02);
    amax = std::min(1.0, amax + 0.02);
    if (amax <= amin) amax = amin + 0.01;
    const double emax = h.empty() ? 1 : static_cast<double>(std::max<std::size_t>(h.back().epoch, 1));
    auto X = [&](double e) { return L + pw * (e / emax); };
    std::ostringstream s;
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << detail::xml_escape(title) << "</text>\n"
      << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#999\"/>\n";
    for (int k = 0; k <= 4; ++k) {
        const double y = T + ph * (1 - k / 4.0);
        s << "<text x=\"" << L - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\" fill=\"#1f77b4\">" << detail::fmt("%.2f", lmax * k / 4) << "</text>\n"
          << "<text x=\"" << W - R + 6 << "\" y=\"" << y + 4 << "\" fill=\"#ff7f0e\">" << detail::fmt("%.3f", amin + (amax - amin) * k / 4) << "</text>\n"
          << "<line x1=\"" << L << "\" y1=\"" << y << "\" x2=\"" << W - R << "\" y2=\"" << y << "\" stroke=\"#eee\"/>\n";
    }
    std::string loss_pts, acc_pts;
    for (const auto& r : h) {
        if (std::isfinite(r.train_loss))
            loss_pts += detail::fmt("%.1f,", X(double(r.epoch))) + detail::fmt("%.1f ", T + ph * (1 - r.train_loss / lmax));
        if (std::isfinite(r.test_accuracy))
            acc_pts += detail::fmt("%.1f,", X(double(r.epoch))) + detail::fmt("%.1f ", T + ph * (1 - (r.test_accuracy - amin) / (amax - amin)));
    }
    s << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"" << loss_pts << "\"/>\n"
      << "<polyline fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" points=\"" << acc_pts << "\"/>\n"
      << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">epoch</text>\n"
      << "<text x=\"" << L + 8 << "\" y=\"" << T + 16 << "\" fill=\"#1f77b4\">train loss</text>\n"
      << "<text x=\"" << W - R - 8 << "\" y=\"" << T + 16 << "\" text-anchor=\"end\" fill=\"#ff7f0e\">test accuracy</text>\n"
      << "</svg>\n";
    detail::write_text(path, s.str());
}

}  // namespace graft::nn
