#include "kernels/random.h"

#include "kernels/vectorize_for_cpu.h"

namespace fastdnn {

// GCC turns the lanes' 32×32→64 products into pmuludq on as many lanes as a
// register holds, so a build per x86-64 level pays: AVX-512's is the fastest
// (docs/architecture.md gives the times per block).
FASTDNN_VECTORIZE_FOR_CPU
void philox4x32_blocks(uint64_t key, uint64_t counter_high, uint64_t first_counter, long n_blocks,
                       uint32_t* words) {
  constexpr int kLanes = 16;
  long block = 0;
  for (; block + kLanes <= n_blocks; block += kLanes) {
    philox4x32_lanes<kLanes>(key, counter_high, first_counter + static_cast<uint64_t>(block),
                             words + 4 * block);
  }
  for (; block < n_blocks; ++block) {
    philox4x32_lanes<1>(key, counter_high, first_counter + static_cast<uint64_t>(block),
                        words + 4 * block);
  }
}

}  // namespace fastdnn
