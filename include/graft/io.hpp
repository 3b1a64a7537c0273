// SPDX-License-Identifier: MIT
// graft/io.hpp: room io/ — IDX (MNIST, Fashion-MNIST; .gz through zlib), CSV, safetensors read/write,
// and atomic file writing (temporary + fsync + rename) used by every writer.
#pragma once

#include "io/atomic_write.hpp"
#include "io/csv.hpp"
#include "io/idx.hpp"
#include "io/safetensors.hpp"
