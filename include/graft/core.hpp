// SPDX-License-Identifier: MIT
// graft/core.hpp: room core/ — Shape<Dims...> and its compile-time rules, dtypes, graft::Error,
// aligned storage and the reproducible Rng. Uses the standard library only.
#pragma once

#include "core/aligned_buffer.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "core/shape.hpp"
#include "core/shape_rules.hpp"
#include "version.hpp"
