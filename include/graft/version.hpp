// SPDX-License-Identifier: MIT
// graft/version.hpp: the library version, kept equal to project(VERSION) in CMakeLists.txt.
#pragma once

#define GRAFT_VERSION_MAJOR 0
#define GRAFT_VERSION_MINOR 1
#define GRAFT_VERSION_PATCH 0

namespace graft {
/// The library version as "major.minor.patch", equal to GRAFT_VERSION_MAJOR/MINOR/PATCH.
inline constexpr const char* version = "0.1.0";
}  // namespace graft
