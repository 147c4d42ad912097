#pragma once

#include <cstdint>

namespace fastdnn {

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): a counter-based generator. Every random number is a pure function
// of (key, counter), so threads share no generator state and any element's
// number (a weight's initial value, a dropout mask bit) can be computed
// directly, whatever the thread count or the order of evaluation.
struct PhiloxBlock {
  uint32_t word[4];
};

// Philox4x32-10 on kLanes consecutive counters (counter_low, counter_low + 1,
// ...) at once; block l's word w lands in words[4·l + w]. Written lane by lane
// with the 32×32→64 products as uint64 multiplies, so that the compiler turns
// each round into vector multiplies (pmuludq) across the lanes; the rounds
// themselves are the reference algorithm, so every lane is bit-identical to a
// scalar call.
template <int kLanes>
inline void philox4x32_lanes(uint64_t key, uint64_t counter_high, uint64_t counter_low,
                             uint32_t* words) {
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    const uint64_t counter = counter_low + static_cast<uint64_t>(l);
    c0[l] = static_cast<uint32_t>(counter);
    c1[l] = static_cast<uint32_t>(counter >> 32);
    c2[l] = static_cast<uint32_t>(counter_high);
    c3[l] = static_cast<uint32_t>(counter_high >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    for (int l = 0; l < kLanes; ++l) {
      const uint64_t product0 = static_cast<uint64_t>(0xD2511F53u) * c0[l];
      const uint64_t product1 = static_cast<uint64_t>(0xCD9E8D57u) * c2[l];
      c0[l] = static_cast<uint32_t>(product1 >> 32) ^ c1[l] ^ k0;
      c1[l] = static_cast<uint32_t>(product1);
      c2[l] = static_cast<uint32_t>(product0 >> 32) ^ c3[l] ^ k1;
      c3[l] = static_cast<uint32_t>(product0);
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int l = 0; l < kLanes; ++l) {
    words[4 * l + 0] = c0[l];
    words[4 * l + 1] = c1[l];
    words[4 * l + 2] = c2[l];
    words[4 * l + 3] = c3[l];
  }
}

inline PhiloxBlock philox4x32(uint64_t key, uint64_t counter_high, uint64_t counter_low) {
  PhiloxBlock block;
  philox4x32_lanes<1>(key, counter_high, counter_low, block.word);
  return block;
}

// Blocks first_counter … first_counter + n_blocks − 1 (philox4x32 with those
// counter_low), block b's words at words[4·b …]: the bulk form, 16 lanes at a
// time (a 512-bit register, or several narrower ones), built per x86-64
// level (random.cpp).
void philox4x32_blocks(uint64_t key, uint64_t counter_high, uint64_t first_counter, long n_blocks,
                       uint32_t* words);

// A uniform float in [0, 1) from the top 24 bits of a word: every value is exact.
inline float uniform_from_bits(uint32_t bits) {
  return static_cast<float>(bits >> 8) * 0x1.0p-24f;
}

// A uniform double in [0, 1) from two words (53 bits).
inline double uniform_double_from_bits(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 21) ^ (low >> 11);
  return static_cast<double>(bits & ((1ULL << 53) - 1)) * 0x1.0p-53;
}

// Streams keep the numbers drawn for different purposes from the same seed
// independent of each other.
enum class RandomStream : uint32_t { initialization = 1, shuffling = 2, dropout = 3, noise = 4 };

inline uint64_t stream_counter(RandomStream stream, uint32_t index) {
  return (static_cast<uint64_t>(stream) << 32) | index;
}

}  // namespace fastdnn
