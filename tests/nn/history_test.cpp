// SPDX-License-Identifier: MIT
// tests/nn/history_test.cpp: nn::write_history / nn::read_history (loss.csv) and nn::write_loss_svg.
// loss.csv round-trips at the precision it is written with, and a malformed file is a graft::Error naming the
// row. The SVG is checked as XML (a small well-formedness checker below): one root <svg> of the stated size,
// two polylines (train loss, test accuracy) with one point per finite value, all inside the plot frame.
// Both writers replace the file by rename: a hard link to the old file keeps the old bytes, and no
// temporary is left behind.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include "support/text.hpp"
#include "support/scratch_dir.hpp"
#include "support/files.hpp"

using namespace graft;
using graft_test::error_of;
using graft_test::slurp;
using Catch::Contains;
using graft_test::cat;
namespace fs = std::filesystem;

namespace {

void spit(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

/// Five epochs whose values print exactly at loss.csv's precision (%.6f, %.6f, %.3f, %.1f).
std::vector<nn::EpochRecord> five_epochs() {
    return {{1, 0.448667, 0.8565, 2.235, 26836.4},
            {2, 0.361250, 0.8712, 2.101, 28550.0},
            {3, 0.325, 0.8801, 2.5, 24000.5},
            {4, 0.3, 0.8768, 2.0, 30000.0},
            {5, 0.281, 0.8893, 1.999, 30015.9}};
}

// ------------------------------------------------------------ a small XML well-formedness checker
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':'; }
bool entity_at(const std::string& s, std::size_t i) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
        if (s.compare(i, std::strlen(e), e) == 0) return true;
    return false;
}

/// "" if `xml` is one well-formed element (tags nest and close, attribute values are quoted, '&' only starts
/// an entity, no '<' in text or attribute values, nothing but white space outside the root); else what is wrong.
std::string xml_problem(const std::string& xml) {
    std::vector<std::string> open;
    std::size_t i = 0, roots = 0;
    const std::size_t n = xml.size();
    while (i < n) {
        if (xml[i] != '<') {
            if (xml[i] == '&' && !entity_at(xml, i)) return cat("a bare & at byte ", std::to_string(i));
            if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) return cat("text outside the root at byte ", std::to_string(i));
            ++i;
            continue;
        }
        const bool closing = i + 1 < n && xml[i + 1] == '/';
        std::size_t j = i + 1 + (closing ? 1 : 0);
        const std::size_t name_start = j;
        while (j < n && is_name_char(xml[j])) ++j;
        const std::string name = xml.substr(name_start, j - name_start);
        if (name.empty()) return cat("a tag without a name at byte ", std::to_string(i));
        if (closing) {
            if (j >= n || xml[j] != '>') return cat("a malformed </", name, ">");
            if (open.empty() || open.back() != name) return cat("</", name, "> closes nothing open");
            open.pop_back();
            i = j + 1;
            continue;
        }
        if (open.empty() && roots++ > 0) return cat("a second root element <", name, ">");
        for (;;) {
            const std::size_t before = j;
            while (j < n && std::isspace(static_cast<unsigned char>(xml[j]))) ++j;
            if (j >= n) return cat("an unterminated <", name, ">");
            if (xml[j] == '>') {
                open.push_back(name);
                i = j + 1;
                break;
            }
            if (xml.compare(j, 2, "/>") == 0) {
                i = j + 2;
                break;
            }
            if (j == before) return cat("no space before an attribute of <", name, ">");
            const std::size_t attr_start = j;
            while (j < n && is_name_char(xml[j])) ++j;
            if (j == attr_start) return cat("a bad character in <", name, "> at byte ", std::to_string(j));
            if (xml.compare(j, 2, "=\"") != 0) return cat("an attribute of <", name, "> without =\"...\"");
            for (j += 2; j < n && xml[j] != '"'; ++j) {
                if (xml[j] == '<') return cat("a '<' in an attribute of <", name, ">");
                if (xml[j] == '&' && !entity_at(xml, j)) return cat("a bare & in an attribute of <", name, ">");
            }
            if (j >= n) return cat("an unterminated attribute of <", name, ">");
            ++j;
        }
    }
    if (!open.empty()) return cat("<", open.back(), "> is never closed");
    if (roots != 1) return "no root element";
    return "";
}

struct Point {
    double x, y;
};

/// The value of attribute `attr` of every <`tag` ...> element, in order.
std::vector<std::string> attributes(const std::string& xml, const std::string& tag, const std::string& attr) {
    std::vector<std::string> out;
    for (std::size_t at = xml.find("<" + tag + " "); at != std::string::npos; at = xml.find("<" + tag + " ", at + 1)) {
        const std::size_t end = xml.find('>', at);
        const std::string element = xml.substr(at, end - at);
        const std::size_t a = element.find(" " + attr + "=\"");
        REQUIRE(a != std::string::npos);
        const std::size_t v = a + attr.size() + 3;
        out.push_back(element.substr(v, element.find('"', v) - v));
    }
    return out;
}

/// "x1,y1 x2,y2 ..." as points (every number must parse).
std::vector<Point> parse_points(const std::string& s) {
    std::vector<Point> pts;
    std::size_t i = 0;
    auto number = [&](char stop) {
        double v = 0;
        const auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
        REQUIRE(ec == std::errc{});
        REQUIRE(std::isfinite(v));
        i = std::size_t(end - s.data());
        if (stop) {
            REQUIRE(i < s.size());
            REQUIRE(s[i] == stop);
            ++i;
        }
        return v;
    };
    while (i < s.size()) {
        if (s[i] == ' ') {
            ++i;
            continue;
        }
        const double x = number(',');
        const double y = number('\0');
        pts.push_back({x, y});
    }
    return pts;
}

// The plot frame of write_loss_svg: x in [60, 580], y in [40, 350] (640x400 with margins 60/60/40/50).
constexpr double kLeft = 60, kRight = 580, kTop = 40, kBottom = 350;

/// The two series' points, after checking the file is well-formed XML with the size and frame stated.
std::vector<std::vector<Point>> read_svg(const std::string& path) {
    const std::string svg = slurp(path);
    INFO(svg);
    CHECK(xml_problem(svg).empty());
    CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\"", 0) == 0);
    CHECK(svg.size() >= 7);
    CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
    CHECK(svg.find("<rect x=\"60\" y=\"40\" width=\"520\" height=\"310\"") != std::string::npos);
    CHECK(svg.find("<path") == std::string::npos);
    const auto strokes = attributes(svg, "polyline", "stroke");
    CHECK(strokes == std::vector<std::string>{"#1f77b4", "#ff7f0e"});  // train loss, test accuracy
    std::vector<std::vector<Point>> series;
    for (const auto& pts : attributes(svg, "polyline", "points")) series.push_back(parse_points(pts));
    for (const auto& s : series)
        for (const auto& p : s) {
            INFO("point " << p.x << "," << p.y);
            CHECK(p.x >= kLeft);
            CHECK(p.x <= kRight);
            CHECK(p.y >= kTop);
            CHECK(p.y <= kBottom);
        }
    return series;
}

}  // namespace

TEST_CASE("write_history then read_history gives back the records", "[nn][history]") {
    graft_test::ScratchDir dir("history_test");
    const auto h = five_epochs();
    nn::write_history(dir.file("loss.csv"), h);
    CHECK(slurp(dir.file("loss.csv")).rfind("epoch,train_loss,test_accuracy,seconds,samples_per_second\n1,0.448667,0.856500,2.235,26836.4\n", 0) == 0);
    const auto back = nn::read_history(dir.file("loss.csv"));
    REQUIRE(back.size() == h.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
        INFO("record " << i);
        CHECK(back[i].epoch == h[i].epoch);
        CHECK(back[i].train_loss == h[i].train_loss);
        CHECK(back[i].test_accuracy == h[i].test_accuracy);
        CHECK(back[i].seconds == h[i].seconds);
        CHECK(back[i].samples_per_second == h[i].samples_per_second);
    }
}

TEST_CASE("loss.csv keeps values to its printed precision, and rewriting what was read changes no byte", "[nn][history]") {
    graft_test::ScratchDir dir("history_test");
    const std::vector<nn::EpochRecord> h = {{7, 1.0 / 3.0, 2.0 / 3.0, 12.34567, 9876.54321},
                                            {8, std::numeric_limits<double>::quiet_NaN(), 0.5, 0.0, 0.0}};  // a diverged epoch
    nn::write_history(dir.file("a.csv"), h);
    const auto back = nn::read_history(dir.file("a.csv"));
    REQUIRE(back.size() == 2);
    CHECK(back[0].epoch == 7);
    CHECK(std::abs(back[0].train_loss - 1.0 / 3.0) <= 5e-7);
    CHECK(std::abs(back[0].test_accuracy - 2.0 / 3.0) <= 5e-7);
    CHECK(std::abs(back[0].seconds - 12.34567) <= 5e-4);
    CHECK(std::abs(back[0].samples_per_second - 9876.54321) <= 5e-2);
    CHECK(std::isnan(back[1].train_loss));
    nn::write_history(dir.file("b.csv"), back);
    CHECK(slurp(dir.file("b.csv")) == slurp(dir.file("a.csv")));
}

TEST_CASE("read_history: a missing file, an empty file or a header alone is an empty history", "[nn][history]") {
    graft_test::ScratchDir dir("history_test");
    CHECK(nn::read_history(dir.file("none.csv")).empty());
    spit(dir.file("empty.csv"), "");
    CHECK(nn::read_history(dir.file("empty.csv")).empty());
    nn::write_history(dir.file("header.csv"), {});
    CHECK(slurp(dir.file("header.csv")) == "epoch,train_loss,test_accuracy,seconds,samples_per_second\n");
    CHECK(nn::read_history(dir.file("header.csv")).empty());
    // blank lines are skipped
    spit(dir.file("blank.csv"), "epoch,train_loss,test_accuracy,seconds,samples_per_second\n1,0.5,0.8,1.0,10.0\n\n2,0.4,0.85,1.0,10.0\n\n");
    CHECK(nn::read_history(dir.file("blank.csv")).size() == 2);
}

TEST_CASE("a malformed loss.csv is an error naming the row and the cell", "[nn][history][errors]") {
    graft_test::ScratchDir dir("history_test");
    const std::string header = "epoch,train_loss,test_accuracy,seconds,samples_per_second\n";
    const std::string good = "1,0.5,0.8,1.0,10.0\n";
    struct Case {
        const char* what;
        std::string text;
        const char* message;
    };
    const Case cases[] = {
        {"too few fields", header + good + "2,0.4,0.85,1.0\n", "expected 5 comma-separated fields on row 3, found \"2,0.4,0.85,1.0\""},
        {"one field", header + "2\n", "expected 5 comma-separated fields on row 2"},
        {"too many fields", header + "2,0.4,0.85,1.0,10.0,7\n", "expected 5 comma-separated fields on row 2"},
        {"a word for the epoch", header + "two,0.4,0.85,1.0,10.0\n", "expected a number on row 2, found \"two\""},
        {"a negative epoch", header + "-1,0.4,0.85,1.0,10.0\n", "expected a number on row 2, found \"-1\""},
        {"an epoch beyond 64 bits", header + "99999999999999999999999,0.4,0.85,1.0,10.0\n", "found \"99999999999999999999999\""},
        {"a word for the loss", header + good + "2,abc,0.85,1.0,10.0\n", "expected a number on row 3, found \"abc\""},
        {"trailing junk after a number", header + "2,0.4x,0.85,1.0,10.0\n", "found \"0.4x\""},
        {"a space before a number", header + "2,0.4, 0.85,1.0,10.0\n", "found \" 0.85\""},
        {"an empty cell", header + "2,0.4,,1.0,10.0\n", "found \"\""},
        {"a decimal comma", header + "2,0,4,0.85,1.0,10.0\n", "expected 5 comma-separated fields on row 2"},
        {"another table's header", "a,b,c,d,e\n" + good, "expected the header \"epoch,train_loss,test_accuracy,seconds,samples_per_second\", found \"a,b,c,d,e\""},
        {"no header", good, "expected the header"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        spit(dir.file("bad.csv"), c.text);
        CHECK_THAT(error_of([&] { (void)nn::read_history(dir.file("bad.csv")); }),
                   Contains("read_history: " + dir.file("bad.csv")) && Contains(c.message));
    }
}

TEST_CASE("write_loss_svg draws both series as well-formed SVG inside the plot frame", "[nn][history][svg]") {
    graft_test::ScratchDir dir("history_test");
    const auto h = five_epochs();
    nn::write_loss_svg(dir.file("loss.svg"), h, "Fashion-MNIST MLP 784-256-128-10");
    const auto series = read_svg(dir.file("loss.svg"));
    REQUIRE(series.size() == 2);
    for (std::size_t s = 0; s < 2; ++s) {
        INFO((s == 0 ? "train loss" : "test accuracy"));
        REQUIRE(series[s].size() == h.size());
        for (std::size_t i = 0; i < h.size(); ++i) {
            CHECK(series[s][i].x == Approx(kLeft + (kRight - kLeft) * double(h[i].epoch) / 5.0).margin(0.05));
            // a larger value is drawn higher (smaller y)
            for (std::size_t j = 0; j < h.size(); ++j) {
                const double vi = s == 0 ? h[i].train_loss : h[i].test_accuracy;
                const double vj = s == 0 ? h[j].train_loss : h[j].test_accuracy;
                if (vi > vj) CHECK(series[s][i].y < series[s][j].y);
            }
        }
    }
    CHECK(series[0][0].y == Approx(kTop));  // the largest loss is at the top of the loss axis
    CHECK(slurp(dir.file("loss.svg")).find("Fashion-MNIST MLP 784-256-128-10</text>") != std::string::npos);
}

TEST_CASE("write_loss_svg escapes the title, and leaves out NaN and infinite values", "[nn][history][svg]") {
    graft_test::ScratchDir dir("history_test");
    auto h = five_epochs();
    h[2].train_loss = std::numeric_limits<double>::quiet_NaN();
    h[3].train_loss = std::numeric_limits<double>::infinity();
    h[4].test_accuracy = std::numeric_limits<double>::quiet_NaN();
    nn::write_loss_svg(dir.file("loss.svg"), h, "loss < 0.3 & \"accuracy\" > 0.89");
    const auto series = read_svg(dir.file("loss.svg"));
    REQUIRE(series.size() == 2);
    CHECK(series[0].size() == 3);
    CHECK(series[1].size() == 4);
    const std::string svg = slurp(dir.file("loss.svg"));
    CHECK(svg.find("loss &lt; 0.3 &amp; &quot;accuracy&quot; &gt; 0.89</text>") != std::string::npos);
    CHECK(svg.find("nan") == std::string::npos);
    CHECK(svg.find("inf") == std::string::npos);
}

TEST_CASE("write_loss_svg of an empty or one-epoch history is still a well-formed SVG", "[nn][history][svg]") {
    graft_test::ScratchDir dir("history_test");
    nn::write_loss_svg(dir.file("empty.svg"), {}, "nothing yet");
    auto series = read_svg(dir.file("empty.svg"));
    REQUIRE(series.size() == 2);
    CHECK(series[0].empty());
    CHECK(series[1].empty());
    nn::write_loss_svg(dir.file("one.svg"), {{1, 2.3, 0.1, 1.0, 1.0}}, "one epoch");
    series = read_svg(dir.file("one.svg"));
    REQUIRE(series.size() == 2);
    CHECK(series[0].size() == 1);
    CHECK(series[1].size() == 1);
}

TEST_CASE("loss.csv and loss.svg are replaced by rename: the old file's bytes survive, no temporary is left", "[nn][history]") {
    graft_test::ScratchDir dir("history_test");
    auto h = five_epochs();
    const std::string csv = dir.file("loss.csv"), svg = dir.file("loss.svg");
    nn::write_history(csv, {h[0]});
    nn::write_loss_svg(svg, {h[0]}, "epoch 1");
    const std::string old_csv = slurp(csv), old_svg = slurp(svg);
    // hard links keep the old files' inodes: an in-place rewrite would change what they show
    fs::create_hard_link(csv, dir.file("old.csv"));
    fs::create_hard_link(svg, dir.file("old.svg"));

    nn::write_history(csv, h);
    nn::write_loss_svg(svg, h, "epoch 5");
    CHECK(slurp(dir.file("old.csv")) == old_csv);
    CHECK(slurp(dir.file("old.svg")) == old_svg);
    CHECK(slurp(csv) != old_csv);
    CHECK(slurp(svg) != old_svg);
    CHECK_FALSE(fs::equivalent(csv, dir.file("old.csv")));
    CHECK_FALSE(fs::equivalent(svg, dir.file("old.svg")));
    CHECK(nn::read_history(csv).size() == 5);
    CHECK(dir.entries() == std::vector<std::string>{"loss.csv", "loss.svg", "old.csv", "old.svg"});
    for (const auto& e : dir.entries()) {
        CHECK_FALSE(io::is_atomic_write_temporary(e, "loss.csv"));
        CHECK_FALSE(io::is_atomic_write_temporary(e, "loss.svg"));
    }
}

TEST_CASE("writing the history or the plot over a directory is an error and changes nothing", "[nn][history][errors]") {
    graft_test::ScratchDir dir("history_test");
    fs::create_directory(dir.file("loss.csv"));
    fs::create_directory(dir.file("loss.svg"));
    CHECK_THAT(error_of([&] { nn::write_history(dir.file("loss.csv"), five_epochs()); }), Contains("atomic_write: " + dir.file("loss.csv")));
    CHECK_THAT(error_of([&] { nn::write_loss_svg(dir.file("loss.svg"), five_epochs(), "t"); }), Contains("atomic_write: " + dir.file("loss.svg")));
    CHECK_THAT(error_of([&] { nn::write_history(dir.file("no/such/dir/loss.csv"), five_epochs()); }), Contains("cannot create the temporary"));
    CHECK(dir.entries() == std::vector<std::string>{"loss.csv", "loss.svg"});
    CHECK(fs::is_empty(dir.file("loss.csv")));
}
