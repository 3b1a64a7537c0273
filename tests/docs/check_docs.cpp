// SPDX-License-Identifier: MIT
// tests/docs/check_docs.cpp: checks that the program output pasted into a docs chapter is what the program
// really prints, so the book cannot rot.
//
//   graft_check_docs CHAPTER.md EXAMPLES_BIN_DIR WORK_DIR
//
// A pasted output is a fenced block right after a marker line naming the program and its arguments:
//
//   <!-- output: 03_autodiff_by_hand -->
//   <!-- vary: [0-9.]+ ms -->            (optional: what changes from run to run, an ECMAScript regex)
//   ```text
//   ...the lines the reader sees...
//   ```
//
// The program is run in WORK_DIR (it may write files there) and its stdout compared with the block, line by
// line, trailing blanks ignored. A block line that is exactly `...` stands for any number of output lines
// (also none); otherwise lines must follow each other. Without a leading `...` the block starts at the first
// output line, without a trailing `...` it ends at the last. Where `vary` is given, every match of it is
// replaced by `#` in both texts before comparing; a number printed with a field width (`%6.0f`) must take
// its padding into the regex (` *[0-9]+ samples/s`), or a faster machine's wider number changes the
// spacing. Only the one space after `vary:` is the separator, so a regex may begin with spaces. A chapter under docs/tutorial/ must paste at least one
// output. Exit status 0 when every block matches; otherwise 1 and, per block, the first line that differs.
//
// It also checks the chapter's relative links, `[text](path)` and `[text](path#anchor)`: the file must
// exist, and an anchor into a Markdown file must be one of its headings (GitHub's slugs: lower case,
// spaces to `-`, other punctuation dropped).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace {

struct Block {
    std::size_t line = 0;        // 1-based line of the marker in the chapter
    std::string command;         // program name and arguments
    std::string vary;            // regex of what varies, or empty
    std::vector<std::string> text;
};

std::string rtrim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    return s;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// "<!-- key: value -->" -> value, or false when the line is not such a comment.
bool comment_value(const std::string& line, const std::string& key, std::string& value) {
    const std::string open = "<!-- " + key + ":", close = "-->";
    const std::string t = rtrim(line);
    if (!starts_with(t, open) || t.size() < open.size() + close.size() || t.compare(t.size() - close.size(), close.size(), close) != 0)
        return false;
    value = t.substr(open.size(), t.size() - open.size() - close.size());
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);  // only the one space after the colon:
    value = rtrim(value);                                          // a vary regex may begin with spaces
    return true;
}

std::vector<Block> parse(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::vector<Block> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string cmd;
        if (!comment_value(lines[i], "output", cmd)) continue;
        Block b;
        b.line = i + 1;
        b.command = cmd;
        std::size_t j = i + 1;
        if (j < lines.size() && comment_value(lines[j], "vary", b.vary)) {
            try {
                (void)std::regex(b.vary, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                throw std::runtime_error(path + ":" + std::to_string(j + 1) + ": the vary marker's `" + b.vary +
                                         "` is not an ECMAScript regex (" + e.what() + ")");
            }
            ++j;
        }
        if (j >= lines.size() || !starts_with(lines[j], "```"))
            throw std::runtime_error(path + ":" + std::to_string(b.line) + ": expected a fenced block (```) right after the output marker");
        for (++j; j < lines.size() && !starts_with(lines[j], "```"); ++j) b.text.push_back(rtrim(lines[j]));
        if (j >= lines.size()) throw std::runtime_error(path + ":" + std::to_string(b.line) + ": the fenced block is not closed");
        if (b.text.empty()) throw std::runtime_error(path + ":" + std::to_string(b.line) + ": the fenced block is empty");
        blocks.push_back(std::move(b));
        i = j;
    }
    return blocks;
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs "<bin>/<program> <args>" in `dir`; stdout and exit status.
std::pair<std::string, int> run(const std::string& bin, const std::string& command, const std::string& dir) {
    const std::string full = "cd " + quote(dir) + " && " + quote(bin + "/") + command + " 2>/dev/null";
    FILE* p = popen(full.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + full);
    std::string out;
    std::array<char, 4096> buf{};
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    const int status = pclose(p);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : 128};
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) v.push_back(rtrim(l));
    return v;
}

// Matches `want` (with `...` gaps) against `got`; on failure `why` says where.
bool matches(const std::vector<std::string>& want, const std::vector<std::string>& got, std::string& why) {
    // Backtracking over gaps: positions are small (tens of lines), so plain recursion is fine.
    std::map<std::pair<std::size_t, std::size_t>, bool> memo;
    std::size_t best_w = 0, best_g = 0;  // the furthest point reached, for the message
    auto go = [&](auto&& self, std::size_t w, std::size_t g) -> bool {
        if (auto it = memo.find({w, g}); it != memo.end()) return it->second;
        bool ok;
        if (w == want.size()) {
            ok = g == got.size();
        } else if (want[w] == "...") {
            ok = false;
            for (std::size_t k = g; k <= got.size() && !ok; ++k) ok = self(self, w + 1, k);
        } else {
            if (w > best_w || (w == best_w && g > best_g)) best_w = w, best_g = g;
            ok = g < got.size() && got[g] == want[w] && self(self, w + 1, g + 1);
        }
        memo[{w, g}] = ok;
        return ok;
    };
    if (go(go, 0, 0)) return true;
    if (best_w < want.size())
        why = "the docs show line " + std::to_string(best_w + 1) + " of the block:\n    " + want[best_w] + "\n  the program printed " +
              (best_g < got.size() ? "at output line " + std::to_string(best_g + 1) + ":\n    " + got[best_g] : std::string("nothing more"));
    else
        why = "the program printed more lines after the block's last line (end the block with ... to allow that)";
    return false;
}

}  // namespace

// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_` kept; spaces become `-`; the rest
// (punctuation, and here any non-ASCII byte such as an em dash) dropped.
std::string slug(const std::string& heading) {
    std::string s;
    for (unsigned char c : heading) {
        if (std::isalnum(c) && c < 128) s += static_cast<char>(std::tolower(c));
        else if (c == ' ') s += '-';
        else if (c == '-' || c == '_') s += static_cast<char>(c);
    }
    return s;
}

std::vector<std::string> anchors_of(const std::filesystem::path& md) {
    std::ifstream in(md);
    std::vector<std::string> a;
    bool fenced = false;
    for (std::string l; std::getline(in, l);) {
        if (starts_with(l, "```")) fenced = !fenced;
        if (fenced || !starts_with(l, "#")) continue;
        std::size_t h = l.find_first_not_of('#');
        if (h == std::string::npos || l[h] != ' ') continue;
        std::string text = rtrim(l.substr(h + 1));
        if (auto brace = text.find(" {#"); brace != std::string::npos) text.erase(brace);  // Doxygen's {#id}
        a.push_back(slug(text));
    }
    return a;
}

// Every relative link of the chapter resolves; returns the number of broken ones (each reported).
int check_links(const std::string& chapter) {
    std::ifstream in(chapter);
    const auto dir = std::filesystem::path(chapter).parent_path();
    int broken = 0;
    std::size_t n = 0;
    bool fenced = false;
    const std::regex link(R"(\]\(([^)\s]+)\))");
    for (std::string l; std::getline(in, l);) {
        ++n;
        if (starts_with(l, "```")) fenced = !fenced;
        if (fenced) continue;
        for (auto it = std::sregex_iterator(l.begin(), l.end(), link); it != std::sregex_iterator(); ++it) {
            const std::string target = (*it)[1];
            if (target.find("://") != std::string::npos || starts_with(target, "mailto:")) continue;
            const auto hash = target.find('#');
            const std::string file = target.substr(0, hash), anchor = hash == std::string::npos ? "" : target.substr(hash + 1);
            const auto path = file.empty() ? std::filesystem::path(chapter) : dir / file;
            std::string why;
            if (!std::filesystem::exists(path)) why = "no such file";
            else if (!anchor.empty() && path.extension() == ".md") {
                const auto a = anchors_of(path);
                if (std::find(a.begin(), a.end(), anchor) == a.end()) why = "no heading with that anchor";
            }
            if (!why.empty()) {
                std::cerr << chapter << ":" << n << ": broken link " << target << " (" << why << ")\n";
                ++broken;
            }
        }
    }
    return broken;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: graft_check_docs CHAPTER.md EXAMPLES_BIN_DIR WORK_DIR\n";
        return 2;
    }
    const std::string chapter = argv[1], bin = argv[2], work = argv[3];
    try {
        const auto blocks = parse(chapter);
        if (blocks.empty() && chapter.find("/tutorial/") != std::string::npos) {
            std::cerr << chapter << ": a tutorial chapter must paste its program's output (<!-- output: NAME --> before a fenced block)\n";
            return 1;
        }
        const int broken = check_links(chapter);
        std::filesystem::create_directories(work);
        std::map<std::string, std::pair<std::string, int>> runs;  // one run per distinct command
        int failed = 0;
        for (const auto& b : blocks) {
            auto it = runs.find(b.command);
            if (it == runs.end()) it = runs.emplace(b.command, run(bin, b.command, work)).first;
            const auto& [out, rc] = it->second;
            const std::string where = chapter + ":" + std::to_string(b.line) + ": `" + b.command + "`";
            if (rc != 0) {
                std::cerr << where << " exited with status " << rc << "\n";
                ++failed;
                continue;
            }
            auto want = b.text;
            auto got = split_lines(out);
            if (!b.vary.empty()) {
                const std::regex re(b.vary, std::regex::ECMAScript);
                for (auto& l : want)
                    if (l != "...") l = std::regex_replace(l, re, "#");
                for (auto& l : got) l = std::regex_replace(l, re, "#");
            }
            std::string why;
            if (!matches(want, got, why)) {
                std::cerr << where << ": the pasted output differs from the program's\n  " << why << "\n--- the program printed:\n" << out << "---\n";
                ++failed;
            } else {
                std::cout << where << ": " << b.text.size() << " lines match\n";
            }
        }
        if (failed) std::cerr << failed << " of " << blocks.size() << " pasted outputs differ\n";
        if (broken) std::cerr << broken << " broken links\n";
        return failed || broken ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
