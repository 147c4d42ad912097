#pragma once

#include <cstddef>

namespace fastdnn {

// Who uses a thread's scratch buffer: each slot is a buffer of its own.
enum class ScratchSlot {
  packed_a,       // the GEMM's packed panels of op(A)
  packed_b,       // and of op(B)
  forward_input,  // Network::forward: a chunk of densified input rows
  forward_ping,   // and the two buffers its layers alternate between
  forward_pong,
  forward_columns,  // weight norm's column norms and scales
  forward_dropped,  // the input chunk after input dropout (MC dropout)
  quantized_codes,  // int8 inference: a layer's input rows as 8-bit codes
  quantized_sums,   // and their exact int32 products with the weights
  quantized_row_scales,
  quantized_zero_points,
  bf16_packed_a,  // the bf16 GEMM's op(A) as bfloat16 tiles
  bf16_packed_b,  // and its op(B)
  count
};

// A 64-byte aligned buffer of at least `floats` floats, private to the calling
// thread, grown on demand and never shrunk: a warm caller allocates nothing,
// and threads serving predictions at once never share one.
// Compiled for the baseline ISA: the allocator code it instantiates must not be
// built with AVX-512 flags and then shared with the other paths.
float* thread_scratch(ScratchSlot slot, std::size_t floats);

}  // namespace fastdnn
