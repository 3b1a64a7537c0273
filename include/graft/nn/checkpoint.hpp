// SPDX-License-Identifier: MIT
// graft/nn/checkpoint.hpp: save_checkpoint / load_checkpoint — a model's parameters, its optimizer's
// state (moments and step count) and string metadata in ONE safetensors file, written to a temporary
// and renamed, so a crash never leaves a half-written or mixed checkpoint. Loading matches tensors to
// parameters by name and checks dtype and shape; a missing, extra or mismatched tensor is an error
// naming it.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../exec/param_store.hpp"
#include "../io/safetensors.hpp"
#include "optim/optimizer.hpp"

namespace graft::nn {

/// The safetensors name of state buffer `k` of parameter `param`: "optimizer/<param>/<k>".
inline std::string optimizer_tensor_name(const std::string& param, std::size_t k) {
    return "optimizer/" + param + "/" + std::to_string(k);
}

/// Writes params (+ optimizer state when `opt` is given) and `metadata` to `path` atomically.
inline void save_checkpoint(const std::string& path, const ParamStore& params, const Optimizer* opt,
                            std::map<std::string, std::string> metadata = {}) {
    std::vector<io::TensorRef> refs;
    for (const auto* e : params.entries()) refs.push_back({e->name, e->dtype, e->dims, e->data.data()});
    if (opt) {
        metadata["optimizer"] = opt->name();
        metadata["optimizer.steps"] = std::to_string(opt->steps());
        for (const auto& b : opt->bound())
            for (std::size_t k = 0; k < b.state.size(); ++k)
                refs.push_back({optimizer_tensor_name(b.name, k), b.dtype, b.dims, b.state[k].data()});
    }
    io::save_safetensors(path, refs, metadata);
}

/// Reads a checkpoint into `params` (every param must be present with its dtype and dims) and, when
/// `opt` is given, the optimizer's state. Returns the metadata. Nothing is modified unless all checks pass.
inline std::map<std::string, std::string> load_checkpoint(const std::string& path, ParamStore& params, Optimizer* opt = nullptr) {
    const io::SafetensorsFile f = io::load_safetensors(path);
    const std::string where = "load_checkpoint: " + path;
    auto check = [&](const std::string& name, DType dtype, const Dims& dims) -> const io::SafetensorsFile::Record& {
        const auto* r = f.find(name);
        if (!r) throw Error(where, "tensor \"" + name + "\"", "no such tensor in the file");
        if (r->dtype != dtype || r->dims != dims)
            throw Error(where + ": tensor \"" + name + "\"", std::string(dtype_name(dtype)) + " " + shape_string(dims),
                        std::string(dtype_name(r->dtype)) + " " + shape_string(r->dims));
        return *r;
    };
    std::vector<std::pair<void*, const io::SafetensorsFile::Record*>> copies;
    for (auto* e : params.entries()) copies.emplace_back(e->data.data(), &check(e->name, e->dtype, e->dims));
    std::size_t opt_steps = 0;
    if (opt) {
        auto it = f.metadata.find("optimizer");
        if (it == f.metadata.end() || it->second != opt->name())
            throw Error(where, std::string("optimizer state of ") + opt->name(), it == f.metadata.end() ? "none" : it->second);
        auto st = f.metadata.find("optimizer.steps");
        const std::string steps = st == f.metadata.end() ? std::string() : st->second;
        const auto [end, ec] = std::from_chars(steps.data(), steps.data() + steps.size(), opt_steps);
        if (st == f.metadata.end() || ec != std::errc{} || end != steps.data() + steps.size())
            throw Error(where + ": metadata \"optimizer.steps\"", "a step count", st == f.metadata.end() ? "none" : "\"" + steps + "\"");
        for (auto& b : opt->bound_state())
            for (std::size_t k = 0; k < b.state.size(); ++k)
                copies.emplace_back(b.state[k].data(), &check(optimizer_tensor_name(b.name, k), b.dtype, b.dims));
    }
    // Every tensor of the file must have a place; only a load without an optimizer skips the optimizer's state.
    for (const auto& r : f.tensors) {
        const bool placed = std::any_of(copies.begin(), copies.end(), [&](const auto& c) { return c.second == &r; });
        const bool skipped = !opt && r.name.rfind("optimizer/", 0) == 0;
        if (!placed && !skipped)
            throw Error(where, opt ? "only tensors of the model's parameters and of its optimizer's state" : "only tensors of the model's parameters",
                        "unexpected tensor \"" + r.name + "\"");
    }
    for (auto& [dst, rec] : copies)
        if (!rec->data.empty()) std::memcpy(dst, rec->data.data(), rec->data.size());
    if (opt) opt->set_steps(opt_steps);
    return f.metadata;
}

}  // namespace graft::nn
