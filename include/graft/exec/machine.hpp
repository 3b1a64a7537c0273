// SPDX-License-Identifier: MIT
// graft/exec/machine.hpp: Machine, which runs a Program: let() binds inputs (shape and dtype checked),
// run() executes the tape over the machine's own arena, value() reads results as typed views.
// A Machine allocates its arena once; run() allocates nothing. One Machine per thread; many Machines
// may share one Program and one ParamStore (read-only while they run).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../graph/var.hpp"
#include "../tensor/view.hpp"
#include "param_store.hpp"
#include "program.hpp"

namespace graft {

/// An untyped read-only view of a value: dtype, dims and bytes.
struct ValueRef {
    DType dtype = DType::f32;  ///< element type of the value
    const Dims* dims = nullptr;  ///< its dims (owned by the Program, valid while the Program lives)
    const void* data = nullptr;  ///< its first element (in the arena, the ParamStore or the constants)
};

/// Runs one Program: owns the arena and input bindings, reads and writes params through a ParamStore.
class Machine {
public:
    /// A machine with a fresh ParamStore of its own.
    explicit Machine(Program prog) : Machine(std::move(prog), std::make_shared<ParamStore>()) {}
    /// A machine sharing `params` with other machines (train and eval programs of one model).
    Machine(Program prog, std::shared_ptr<ParamStore> params) : prog_(std::move(prog)), params_(std::move(params)) {
        const auto& d = prog_.data();
        if (!params_) throw Error("Machine", "a ParamStore", "a null pointer");
        arena_ = AlignedBuffer<unsigned char>(d.arena_bytes);
        ptr_.assign(d.slots.size(), nullptr);
        bound_.assign(d.slots.size(), false);
        for (std::uint32_t s = 0; s < d.slots.size(); ++s) {
            const Slot& sl = d.slots[s];
            if (sl.alias_of != UINT32_MAX) continue;
            switch (sl.home) {
                case Home::arena: ptr_[s] = arena_.data() + sl.offset; break;
                case Home::param: ptr_[s] = params_->ensure(sl.name, sl.dtype, sl.dims, sl.init).data.data(); break;
                case Home::constant: ptr_[s] = const_cast<unsigned char*>(d.constants[sl.offset].data()); break;
            }
        }
        for (std::uint32_t s = 0; s < d.slots.size(); ++s)
            if (d.slots[s].alias_of != UINT32_MAX) ptr_[s] = ptr_[d.slots[s].alias_of];
    }

    // ------------------------------------------------------------ binding inputs
    /// Binds a typed input: the Var's shape and the tensor's must be the same type (checked at compile time).
    template <Element T, ShapeType S, class X>
    void let(const Var<T, S>& v, const X& value) {
        static_assert(std::is_same_v<std::remove_const_t<typename X::value_type>, T>, "graft::Machine::let: element types differ");
        static_assert(std::is_same_v<typename X::shape_type, S>, "graft::Machine::let: shapes differ");
        bind(input_slot(v.id(), v.node().name), dtype_of<T>, S::dims, value.data());  // no Dims built: let() allocates nothing
    }
    /// Binds an input by name; dtype and dims are checked at run time.
    template <class X>
        requires requires(const X& x) {
            typename X::value_type;
            typename X::shape_type;
            x.data();
        }
    void let(std::string_view name, const X& value) {
        using T = std::remove_const_t<typename X::value_type>;
        using S = typename X::shape_type;
        bind(named_input(name), dtype_of<T>, S::dims, value.data());
    }
    /// Binds an input by name from raw data of the given dtype and dims.
    void let(std::string_view name, DType dtype, const Dims& dims, const void* data) { bind(named_input(name), dtype, dims, data); }

    // ------------------------------------------------------------ running
    /// Runs every instruction once. Throws graft::Error naming an input that was never bound.
    void run() {
        const auto& d = prog_.data();
        for (auto s : d.inputs)
            if (!bound_[s])
                throw Error("Machine::run", "every input bound with let()", "input \"" + d.slots[s].name + "\" unbound");
        void* const* slots = ptr_.data();
        if (d.step_slot != UINT32_MAX) {  // random ops draw from (seed, run count)
            const std::uint64_t step = random_step_;
            std::memcpy(ptr_[d.step_slot], &step, sizeof step);
        }
        if (anomaly_) check_leaves();
        if (trace_) {
            run_traced();
        } else if (!profile_ns_.empty()) {
            run_profiled();
        } else if (anomaly_) {
            run_checked();
        } else {
            for (const Instr& ins : d.instrs) ins.fn(ins, slots);
        }
        ++steps_;
        ++random_step_;
    }
    /// Number of completed run() calls.
    [[nodiscard]] std::size_t steps() const noexcept { return steps_; }
    /// The run number random ops (dropout masks) draw their next values from: steps() unless
    /// set_random_step() moved it. Store it in a checkpoint to resume a run with the same masks.
    [[nodiscard]] std::uint64_t random_step() const noexcept { return random_step_; }
    /// Continues the random ops' streams at run `n`: the next run() draws the masks run n of an
    /// uninterrupted machine would (a resumed training run stays bit-identical with dropout).
    void set_random_step(std::uint64_t n) noexcept { random_step_ = n; }

    // ------------------------------------------------------------ reading values
    /// A typed read-only view of an output (or of an input, param or constant the program holds).
    template <Element T, ShapeType S>
    TensorView<const T, S> value(const Var<T, S>& v) const {
        return TensorView<const T, S>(static_cast<const T*>(readable(v.id()).data));
    }
    /// Untyped access to a computed value by node id.
    [[nodiscard]] ValueRef value(NodeId id) const { return readable(id); }
    /// Mutable typed view of a parameter's values.
    template <Element T, ShapeType S>
    TensorView<T, S> param(const Var<T, S>& v) {
        return params_->view<T, S>(v.node().name);
    }

    /// Raw storage of an output value, for code that updates in place (optimizers clipping gradients).
    /// Throws graft::Error when `id` is not an output of the program.
    [[nodiscard]] void* output_data(NodeId id) {
        const auto s = prog_.slot_of(id);
        if (s == UINT32_MAX || !prog_.data().slots[s].is_output)
            throw Error("Machine::output_data(%" + std::to_string(id) + ")", "an output passed to compile()", "a value that is not an output");
        return ptr_[s];
    }

    /// Teaching view of the tape: when set, run() prints every instruction with its input and output
    /// values (tensors of up to `max_elements` elements in full, larger ones summarised). nullptr turns it off.
    void set_trace(std::ostream* out, std::size_t max_elements = 16) {
        trace_ = out;
        trace_max_ = max_elements;
    }

    /// Profiling: when on, run() times every instruction (steady_clock around each kernel call) and adds
    /// the time to that instruction's total; off (the default), run() reads no clock. Turning it on or off
    /// resets the totals. Allocates only here, never in run().
    void set_profile(bool on) {
        profile_ns_.assign(on ? prog_.instruction_count() : 0, 0.0);
        profile_runs_ = 0;
    }
    /// Total ns per instruction over the profiled runs (empty when profiling is off).
    [[nodiscard]] const std::vector<double>& profile_ns() const noexcept { return profile_ns_; }
    /// Runs profiled since set_profile(true).
    [[nodiscard]] std::size_t profiled_runs() const noexcept { return profile_runs_; }
    /// The profile as a table, slowest instruction first: mean µs per run, share of the run, GFLOP/s, and
    /// the instruction as dump() lists it. `top` limits the rows (0: all).
    [[nodiscard]] std::string profile_report(std::size_t top = 0) const {
        if (profile_ns_.empty() || profile_runs_ == 0)
            throw Error("Machine::profile_report", "profiled runs (set_profile(true), then run())", "none");
        const auto& d = prog_.data();
        std::vector<std::size_t> order(profile_ns_.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return profile_ns_[a] > profile_ns_[b]; });
        double total = 0;
        for (double t : profile_ns_) total += t;
        const double runs = double(profile_runs_);
        std::string s;
        char buf[160];
        std::snprintf(buf, sizeof buf, "profile of %zu runs: %.1f us per run in %zu instructions\n", profile_runs_, total / runs / 1e3,
                      profile_ns_.size());
        s += buf;
        s += "      us/run  share  GFLOP/s  instruction\n";
        const std::size_t rows = top == 0 ? order.size() : std::min(top, order.size());
        for (std::size_t r = 0; r < rows; ++r) {
            const std::size_t k = order[r];
            const Instr& in = d.instrs[k];
            const double us = profile_ns_[k] / runs / 1e3;
            const double gflops = profile_ns_[k] > 0 ? in.flops * runs / profile_ns_[k] : 0.0;
            std::snprintf(buf, sizeof buf, "  %10.1f %5.1f%% %8.2f  #%zu %s", us, total > 0 ? 100.0 * profile_ns_[k] / total : 0.0,
                          gflops, k, std::string(op_name(in.op)).c_str());
            s += buf;
            if (!in.note.empty()) {
                s += " [";
                s += in.note;
                s += ']';
            }
            s += '\n';
        }
        return s;
    }

    /// Anomaly mode: when on, run() first checks every bound input and every parameter, then the output
    /// of each instruction as soon as it is computed, and throws graft::Error at the first NaN or ±inf
    /// float value, naming the instruction (index, node, op, name, dtype and shape, the fused ops or GEMM
    /// backend it stands for), the element, and the step (the number of run() calls completed before
    /// this one). A run that throws does not count as a step. Off by default: run() then executes the
    /// same loop as without this option (one branch per run, none per instruction). Values that are
    /// non-finite by design (a -inf mask constant, a deliberate overflow) trip it too.
    void set_anomaly_check(bool on) noexcept { anomaly_ = on; }
    /// Whether anomaly mode is on (see set_anomaly_check()).
    [[nodiscard]] bool anomaly_check() const noexcept { return anomaly_; }

    /// The Program this machine runs.
    [[nodiscard]] const Program& program() const noexcept { return prog_; }
    /// The parameters this machine reads (optimizers and checkpoints work on them).
    [[nodiscard]] ParamStore& params() noexcept { return *params_; }
    /// The store as a shared pointer, to build another Machine over the same parameters.
    [[nodiscard]] const std::shared_ptr<ParamStore>& shared_params() const noexcept { return params_; }

private:
    std::uint32_t input_slot(NodeId id, const std::string& name) const {
        const auto s = prog_.slot_of(id);
        if (s == UINT32_MAX || !prog_.data().slots[s].is_input)
            throw Error("Machine::let(\"" + name + "\")", "an input the program reads", "a node the program does not read");
        // A Var of another graph can carry the id of one of our inputs: the names tell them apart.
        if (prog_.data().slots[s].name != name)
            throw Error("Machine::let(\"" + name + "\")", "a Var of the compiled graph (its node %" + std::to_string(id) +
                        " is input \"" + prog_.data().slots[s].name + "\")", "a Var of another graph");
        return s;
    }
    std::uint32_t named_input(std::string_view name) const {
        const auto& d = prog_.data();
        for (auto s : d.inputs)
            if (d.slots[s].name == name) return s;
        throw Error("Machine::let(\"" + std::string(name) + "\")", "the name of an input the program reads", "no such input");
    }
    void bind(std::uint32_t s, DType dtype, std::span<const std::size_t> dims, const void* data) {
        const Slot& sl = prog_.data().slots[s];
        if (sl.dtype != dtype || !std::equal(sl.dims.begin(), sl.dims.end(), dims.begin(), dims.end()))
            throw Error("Machine::let(\"" + sl.name + "\")", std::string(dtype_name(sl.dtype)) + " " + shape_string(sl.dims),
                        std::string(dtype_name(dtype)) + " " + shape_string(dims));
        if (sl.bytes && !data)
            throw Error("Machine::let(\"" + sl.name + "\")", "data for " + std::to_string(sl.size()) + " elements", "a null pointer");
        if (sl.bytes) std::memcpy(ptr_[s], data, sl.bytes);
        bound_[s] = true;
    }
    ValueRef readable(NodeId id) const {
        const auto& d = prog_.data();
        const auto s = prog_.slot_of(id);
        if (s == UINT32_MAX)
            throw Error("Machine::value(%" + std::to_string(id) + ")", "a value the program computes", "a node outside the program");
        const Slot& sl = d.slots[s];
        const bool computed = sl.home == Home::arena && !sl.is_input;
        if (computed && !sl.is_output)
            throw Error("Machine::value(%" + std::to_string(id) + ")", "an output passed to compile()",
                        "an intermediate value (its buffer is reused; list it as an output)");
        if (computed && steps_ == 0)
            throw Error("Machine::value(%" + std::to_string(id) + ")", "a value computed by run()", "run() not called yet");
        if (sl.is_input && !bound_[s])
            throw Error("Machine::value(%" + std::to_string(id) + ")", "a bound input", "input \"" + sl.name + "\" unbound");
        return {sl.dtype, &sl.dims, ptr_[s]};
    }

    std::string value_text(std::uint32_t s) const {
        const Slot& sl = prog_.data().slots[s];
        std::string t = std::string(dtype_name(sl.dtype)) + detail::dims_text(sl.dims) + " ";  // f32[2,3], as in dump() and print()
        const std::size_t n = sl.size();
        const std::size_t shown = n <= trace_max_ ? n : std::min<std::size_t>(trace_max_, 4);
        t += "[";
        for (std::size_t i = 0; i < shown; ++i) {
            double v = 0;
            switch (sl.dtype) {
                case DType::f32: v = static_cast<const float*>(ptr_[s])[i]; break;
                case DType::f64: v = static_cast<const double*>(ptr_[s])[i]; break;
                case DType::i32: v = static_cast<const std::int32_t*>(ptr_[s])[i]; break;
                case DType::u8: v = static_cast<const std::uint8_t*>(ptr_[s])[i]; break;
            }
            t += (i ? ", " : "") + detail::format_double(v);
        }
        if (shown < n) t += ", ... (" + std::to_string(n) + " values)";
        return t + "]";
    }
    /// Index of the first NaN or infinity among slot s's elements (SIZE_MAX if none or not a float type).
    std::size_t first_non_finite(std::uint32_t s) const {
        const Slot& sl = prog_.data().slots[s];
        const std::size_t n = sl.size();
        if (sl.dtype == DType::f32) {
            const auto* p = static_cast<const float*>(ptr_[s]);
            for (std::size_t i = 0; i < n; ++i)
                if (!std::isfinite(p[i])) return i;
        } else if (sl.dtype == DType::f64) {
            const auto* p = static_cast<const double*>(ptr_[s]);
            for (std::size_t i = 0; i < n; ++i)
                if (!std::isfinite(p[i])) return i;
        }
        return SIZE_MAX;
    }
    /// "NaN at element 3 ([0,1,1]) of" for slot s.
    std::string bad_element_text(std::uint32_t s, std::size_t i) const {
        const Slot& sl = prog_.data().slots[s];
        const double v = sl.dtype == DType::f32 ? double(static_cast<const float*>(ptr_[s])[i]) : static_cast<const double*>(ptr_[s])[i];
        std::string t = std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
        t += " at element ";
        t += std::to_string(i);
        if (sl.dims.size() > 1) {  // the multi-index too, outermost first
            std::vector<std::size_t> idx(sl.dims.size());
            std::size_t rest = i;
            for (std::size_t k = sl.dims.size(); k-- > 0;) {
                idx[k] = sl.dims[k] ? rest % sl.dims[k] : 0;
                rest = sl.dims[k] ? rest / sl.dims[k] : 0;
            }
            t += " ";
            t += detail::dims_text(idx);
        }
        return t;
    }
    std::string step_text() const {
        std::string t = "in step ";
        t += std::to_string(steps_);
        t += " (run() call ";
        t += std::to_string(steps_ + 1);
        t += ")";
        return t;
    }
    /// Anomaly mode, before the first instruction: every bound input and every parameter is finite.
    void check_leaves() const {
        const auto& d = prog_.data();
        for (std::uint32_t s = 0; s < d.slots.size(); ++s) {
            const Slot& sl = d.slots[s];
            if (sl.alias_of != UINT32_MAX || !(sl.is_input || sl.home == Home::param)) continue;
            const std::size_t i = first_non_finite(s);
            if (i == SIZE_MAX) continue;
            std::string found = bad_element_text(s, i);
            found += sl.is_input ? " of input \"" : " of param \"";
            found += sl.name;
            found += "\" ";
            found += std::string(dtype_name(sl.dtype));
            found += detail::dims_text(sl.dims);
            found += sl.is_input ? ", as bound with let(), " : ", as the ParamStore holds it, ";
            found += step_text();
            throw Error("Machine::run (anomaly check)", "finite inputs and parameters", found);
        }
    }
    /// Anomaly mode, after instruction k: its output is finite.
    void check_instr(std::size_t k) const {
        const Instr& ins = prog_.data().instrs[k];
        const std::size_t i = first_non_finite(ins.out);
        if (i == SIZE_MAX) return;
        const Slot& out = prog_.data().slots[ins.out];
        std::string found = bad_element_text(ins.out, i);
        found += " of the output of instruction #";
        found += std::to_string(k);
        found += " %";
        found += std::to_string(ins.node);
        found += " = ";
        found += op_name(ins.op);
        if (!out.name.empty()) {
            found += " \"";
            found += out.name;
            found += "\"";
        }
        found += " ";
        found += std::string(dtype_name(out.dtype));
        found += detail::dims_text(out.dims);
        if (!ins.note.empty()) {
            found += " [";
            found += ins.note;
            found += "]";
        }
        found += ", ";
        found += step_text();
        found += "; its inputs were finite:";
        for (auto in : ins.in) {
            const Slot& sl = prog_.data().slots[in];
            found += " %";
            found += std::to_string(sl.node);
            if (!sl.name.empty()) {
                found += " \"";
                found += sl.name;
                found += "\"";
            }
        }
        throw Error("Machine::run (anomaly check)", "finite values from every instruction", found);
    }
    void run_checked() {
        const auto& instrs = prog_.data().instrs;
        void* const* slots = ptr_.data();
        for (std::size_t k = 0; k < instrs.size(); ++k) {
            instrs[k].fn(instrs[k], slots);
            check_instr(k);
        }
    }
    void run_profiled() {
        using clock = std::chrono::steady_clock;
        const auto& instrs = prog_.data().instrs;
        void* const* slots = ptr_.data();
        for (std::size_t k = 0; k < instrs.size(); ++k) {
            const auto t0 = clock::now();
            instrs[k].fn(instrs[k], slots);
            profile_ns_[k] += std::chrono::duration<double, std::nano>(clock::now() - t0).count();
            if (anomaly_) check_instr(k);
        }
        ++profile_runs_;
    }
    void run_traced() {
        const auto& d = prog_.data();
        std::ostream& os = *trace_;
        os << "-- run " << steps_ << "\n";
        for (std::size_t k = 0; k < d.instrs.size(); ++k) {
            const Instr& ins = d.instrs[k];
            // the inputs are shown before the kernel runs: an in-place instruction overwrites one of them
            std::string ins_text;
            for (auto i : ins.in) {
                const Slot& sl = d.slots[i];
                ins_text += "     in  %" + std::to_string(sl.node) + (sl.name.empty() ? "" : " \"" + sl.name + "\"") + " " + value_text(i) + "\n";
            }
            ins.fn(ins, ptr_.data());
            const Slot& out = d.slots[ins.out];
            os << "#" << k << " %" << ins.node << " = " << op_name(ins.op);
            if (!out.name.empty()) os << " \"" << out.name << "\"";
            os << "\n" << ins_text;
            os << "     out %" << out.node << " " << value_text(ins.out) << "\n";
            if (anomaly_) check_instr(k);
        }
    }

    Program prog_;
    std::vector<double> profile_ns_;  // per instruction; empty when profiling is off
    std::size_t profile_runs_ = 0;
    std::ostream* trace_ = nullptr;
    bool anomaly_ = false;
    std::size_t trace_max_ = 16;
    std::shared_ptr<ParamStore> params_;
    AlignedBuffer<unsigned char> arena_;
    std::vector<void*> ptr_;
    std::vector<bool> bound_;
    std::size_t steps_ = 0;
    std::uint64_t random_step_ = 0;
};

}  // namespace graft
