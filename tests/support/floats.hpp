// SPDX-License-Identifier: MIT
// tests/support/floats.hpp: the non-finite values tests feed to kernels.
#pragma once

#include <limits>

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr float fnan = std::numeric_limits<float>::quiet_NaN();
