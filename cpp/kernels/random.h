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

inline PhiloxBlock philox4x32(uint64_t key, uint64_t counter_high, uint64_t counter_low) {
  uint32_t c0 = static_cast<uint32_t>(counter_low), c1 = static_cast<uint32_t>(counter_low >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_high), c3 = static_cast<uint32_t>(counter_high >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t product0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t product1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t high0 = static_cast<uint32_t>(product0 >> 32),
                   low0 = static_cast<uint32_t>(product0);
    const uint32_t high1 = static_cast<uint32_t>(product1 >> 32),
                   low1 = static_cast<uint32_t>(product1);
    c0 = high1 ^ c1 ^ k0;
    c1 = low1;
    c2 = high0 ^ c3 ^ k1;
    c3 = low0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

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
