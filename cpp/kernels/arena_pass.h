#pragma once

// How the elementwise passes over the parameter arena (optimizer steps,
// penalties, clipping, averaging, the reductions behind them) are vectorised
// and threaded. They run once per minibatch over every parameter, a part of
// a wide net's step that left serial would cap what a second thread can give.
//
// - Vectorised for the CPU it runs on: each such loop is a
//   FASTDNN_VECTORIZE_FOR_CPU function (kernels/vectorize_for_cpu.h).
// - Threaded over fixed ranges: an elementwise pass gives the same bits
//   however it is split; a reduction sums fixed chunks (their size depends on
//   n alone) and adds the chunks' sums in chunk order, so it never depends on
//   the thread count either.

#include <algorithm>

#include "kernels/parallel.h"
#include "kernels/vectorize_for_cpu.h"

namespace fastdnn {

// Below this many elements a pass stays on the calling thread: waking the
// others costs more than the pass. A constant, so results never depend on it.
inline constexpr long kParallelArenaElements = 1L << 16;

// pass(begin, end) over [0, n): ranges shared between the threads
// (parallel_ranges), or the whole of it on the calling thread below
// kParallelArenaElements. For an elementwise pass.
template <class Pass>
void arena_pass(long n, const Pass& pass) {
  parallel_ranges(n, n >= kParallelArenaElements, pass);
}

// Σ over [0, n) cut into chunks, chunk_sum(begin, end) → double, the chunks
// evaluated on any threads and their sums added in chunk order.
template <class ChunkSum>
double chunked_sum(long n, const ChunkSum& chunk_sum) {
  constexpr long kMaxChunks = 256, kMinChunk = 1L << 14;
  const long chunk = std::max(kMinChunk, (n + kMaxChunks - 1) / kMaxChunks);
  const long chunks = (n + chunk - 1) / chunk;
  if (chunks <= 1) return n > 0 ? chunk_sum(0L, n) : 0.0;
  double sums[kMaxChunks];
  // Whole chunks per range: the chunks, not the ranges, fix the order.
  parallel_ranges(chunks, n >= kParallelArenaElements, [&](long begin, long end) {
    for (long c = begin; c < end; ++c) sums[c] = chunk_sum(c * chunk, std::min(n, (c + 1) * chunk));
  });
  double total = 0.0;
  for (long c = 0; c < chunks; ++c) total += sums[c];
  return total;
}

}  // namespace fastdnn
