#pragma once

#include <vector>

#include "kernels/bf16_gemm.h"

namespace fastdnn {

class Network;

// What bfloat16 inference packs once instead of at every prediction: the
// weight matrices a forward pass multiplies by (each weight layer's, and the
// residual projections), rounded to bfloat16 in the layout the automatic
// bf16 kernel reads. A snapshot of the arena, as quantize()'s int8 weights
// are: later edits do not reach it, so whoever keeps it drops it when the
// weights change.
struct Bf16PackedNetwork {
  const float* parameters;  // the arena it was packed from
  std::vector<Bf16PackedOperand> operands;
};

Bf16PackedNetwork pack_bf16(const Network& network);

// Throws std::invalid_argument unless `packed` was made from `network`.
void check_packed_for(const Bf16PackedNetwork& packed, const Network& network);

}  // namespace fastdnn
