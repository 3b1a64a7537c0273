// SPDX-License-Identifier: MIT
// graft/nn/init.hpp: parameter initializers for layers — zeros, constant, uniform, normal, Glorot/Xavier
// and He/Kaiming (uniform and normal), all seeded and reproducible. They are data (graft::Init) defined
// in graph/init.hpp so a Graph can hold them; this header is the nn/ room's door to them.
#pragma once

#include "../graph/init.hpp"
