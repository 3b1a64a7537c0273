// SPDX-License-Identifier: MIT
// benchmarks/ratio_reporter.hpp: the console output of Google Benchmark, plus ratios measured in the same run.
// Each ratio is the time of one benchmark over another's (the median when --benchmark_repetitions > 1), printed
// after the table: "graft_matmul/256 / cblas_sgemm/256 = 1.012". Above 1 means slower than the baseline.
// Real time for threaded code (BLAS); CPU time for single-threaded code, which a busy machine disturbs less.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace graft::bench {

/// Which clock the ratios compare.
enum class Clock { real, cpu };

class RatioReporter : public benchmark::ConsoleReporter {
public:
    /// pairs: {numerator, denominator} benchmark names, as registered.
    RatioReporter(std::vector<std::pair<std::string, std::string>> pairs, Clock clock)
        : benchmark::ConsoleReporter(OO_Tabular), pairs_(std::move(pairs)), clock_(clock) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs) {
            if (r.error_occurred) continue;
            const std::string& name = r.run_name.function_name;
            const double t = clock_ == Clock::real ? r.GetAdjustedRealTime() : r.GetAdjustedCPUTime();
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
                median_[name] = t;
            } else if (r.run_type == Run::RT_Iteration) {
                single_[name] = t;  // used when there are no repetitions
            }
        }
    }

    void Finalize() override {
        ConsoleReporter::Finalize();
        bool header = false;
        for (const auto& [num, den] : pairs_) {
            const double* a = find(num);
            const double* b = find(den);
            if (!a || !b || *b <= 0) continue;  // filtered out by --benchmark_filter
            if (!header) {
                std::printf("\nratios of %s time (median of the repetitions; > 1 means slower than the baseline)\n",
                            clock_ == Clock::real ? "real" : "CPU");
                header = true;
            }
            std::printf("  %-28s / %-28s = %.3f\n", num.c_str(), den.c_str(), *a / *b);
        }
        std::fflush(stdout);
    }

private:
    const double* find(const std::string& name) const {
        if (auto it = median_.find(name); it != median_.end()) return &it->second;
        if (auto it = single_.find(name); it != single_.end()) return &it->second;
        return nullptr;
    }

    std::vector<std::pair<std::string, std::string>> pairs_;
    Clock clock_;
    std::map<std::string, double> median_;
    std::map<std::string, double> single_;
};

/// The usual main: parse flags, run with the ratio reporter, shut down.
inline int run_with_ratios(int argc, char** argv, std::vector<std::pair<std::string, std::string>> pairs,
                           Clock clock = Clock::real) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RatioReporter reporter(std::move(pairs), clock);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}

}  // namespace graft::bench
