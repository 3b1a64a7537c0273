// SPDX-License-Identifier: MIT
// tests/main.cpp: the Catch2 v2 main shared by every room's test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
