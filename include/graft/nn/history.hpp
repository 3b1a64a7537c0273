// SPDX-License-Identifier: MIT
// graft/nn/history.hpp: a training run's per-epoch record, kept as loss.csv and drawn as loss.svg.
// Both files are written to a temporary and renamed; the SVG is written directly (no plotting
// dependency): train loss on the left axis, test accuracy on the right.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../io/atomic_write.hpp"

namespace graft::nn {

struct EpochRecord {
    std::size_t epoch = 0;
    double train_loss = 0;
    double test_accuracy = 0;
    double seconds = 0;
    double samples_per_second = 0;
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
}  // namespace detail

/// loss.csv: "epoch,train_loss,test_accuracy,seconds,samples_per_second" and one row per epoch.
inline void write_history(const std::string& path, const std::vector<EpochRecord>& h) {
    std::string s = "epoch,train_loss,test_accuracy,seconds,samples_per_second\n";
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
    std::string line;
    std::getline(in, line);  // header
    std::size_t row = 1;
    while (std::getline(in, line)) {
        ++row;
        if (line.empty()) continue;
        EpochRecord r;
        double* fields[] = {&r.train_loss, &r.test_accuracy, &r.seconds, &r.samples_per_second};
        std::size_t pos = line.find(',');
        if (pos == std::string::npos) throw Error("read_history: " + path, "5 comma-separated fields on row " + std::to_string(row), line);
        r.epoch = std::stoul(line.substr(0, pos));
        for (double* f : fields) {
            const std::size_t start = pos + 1;
            pos = line.find(',', start);
            const std::string cell = line.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
            auto res = std::from_chars(cell.data(), cell.data() + cell.size(), *f);
            if (res.ec != std::errc{}) throw Error("read_history: " + path, "a number on row " + std::to_string(row), "\"" + cell + "\"");
        }
        h.push_back(r);
    }
    return h;
}

/// A 640x400 SVG of train loss (blue, left axis) and test accuracy (orange, right axis) per epoch.
inline void write_loss_svg(const std::string& path, const std::vector<EpochRecord>& h, const std::string& title) {
    const double W = 640, H = 400, L = 60, R = 60, T = 40, Bm = 50;
    const double pw = W - L - R, ph = H - T - Bm;
    double lmax = 0, amin = 1, amax = 0;
    for (const auto& r : h) {
        lmax = std::max(lmax, r.train_loss);
        amin = std::min(amin, r.test_accuracy);
        amax = std::max(amax, r.test_accuracy);
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
      << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << title << "</text>\n"
      << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#999\"/>\n";
    for (int k = 0; k <= 4; ++k) {
        const double y = T + ph * (1 - k / 4.0);
        s << "<text x=\"" << L - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\" fill=\"#1f77b4\">" << detail::fmt("%.2f", lmax * k / 4) << "</text>\n"
          << "<text x=\"" << W - R + 6 << "\" y=\"" << y + 4 << "\" fill=\"#ff7f0e\">" << detail::fmt("%.3f", amin + (amax - amin) * k / 4) << "</text>\n"
          << "<line x1=\"" << L << "\" y1=\"" << y << "\" x2=\"" << W - R << "\" y2=\"" << y << "\" stroke=\"#eee\"/>\n";
    }
    std::string loss_pts, acc_pts;
    for (const auto& r : h) {
        loss_pts += detail::fmt("%.1f,", X(double(r.epoch))) + detail::fmt("%.1f ", T + ph * (1 - r.train_loss / lmax));
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
