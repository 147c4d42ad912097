#include "nn/dropout.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/random.h"

namespace fastdnn {

DropoutKind dropout_kind_from_name(const std::string& name) {
  if (name == "bernoulli") return DropoutKind::bernoulli;
  if (name == "gaussian") return DropoutKind::gaussian;
  if (name == "alpha") return DropoutKind::alpha;
  throw std::invalid_argument("unknown dropout_kind '" + name +
                              "'; expected 'bernoulli', 'gaussian' or 'alpha'");
}

std::string dropout_kind_name(DropoutKind kind) {
  switch (kind) {
    case DropoutKind::bernoulli:
      return "bernoulli";
    case DropoutKind::gaussian:
      return "gaussian";
    case DropoutKind::alpha:
      return "alpha";
  }
  return "bernoulli";
}

namespace {

// The step goes into the key (not the counter) so that no number of steps can
// make two steps' counters collide.
uint64_t step_key(const NoiseKey& key) {
  return key.seed + key.step * 0x9E3779B97F4A7C15ULL;
}

// Calls draw(i, block, slot) for every element i of a (rows·cols) pass:
// element e = first_row·cols + i takes slot e mod kSlots of Philox block
// e / kSlots (a block holds 4 words: 4 slots of 32 bits or 8 of 16).
// Blocks are generated a batch at a time, in a loop of independent counters
// the processor can overlap.
template <int kSlots, typename Draw>
void for_each_random_slot(long rows, int cols, const NoiseKey& key, uint64_t counter_high,
                          Draw draw) {
  constexpr int kBatch = 16;
  const uint64_t first = static_cast<uint64_t>(key.first_row) * static_cast<uint64_t>(cols);
  const uint64_t last = first + static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  const uint64_t philox_key = step_key(key);
  PhiloxBlock blocks[kBatch];
  for (uint64_t block_start = first / kSlots; block_start * kSlots < last; block_start += kBatch) {
    for (int k = 0; k < kBatch; ++k) {
      blocks[k] = philox4x32(philox_key, counter_high, block_start + k);
    }
    for (int k = 0; k < kBatch; ++k) {
      const uint64_t base = (block_start + k) * kSlots;
      if (base >= first && base + kSlots <= last) {
        // The common case: the whole block falls in the pass; a fixed trip
        // count the compiler unrolls.
        for (int slot = 0; slot < kSlots; ++slot) {
          draw(static_cast<long>(base - first) + slot, blocks[k], slot);
        }
      } else {
        for (int slot = 0; slot < kSlots; ++slot) {
          if (base + slot >= first && base + slot < last) {
            draw(static_cast<long>(base + slot - first), blocks[k], slot);
          }
        }
      }
    }
  }
}

// A keep/drop decision needs far fewer than 32 bits: 16 per element halve
// the Philox work (the drop probability is then rate rounded up to 2⁻¹⁶).
bool dropped(const PhiloxBlock& block, int slot, float rate) {
  const uint32_t bits = (block.word[slot >> 1] >> ((slot & 1) * 16)) & 0xFFFFu;
  return static_cast<float>(bits) * 0x1.0p-16f < rate;
}

// Box–Muller on the word pair (0,1) or (2,3) that holds `word`: cos for the
// pair's first word, sin for its second, so every word gives one N(0,1).
float standard_normal(const PhiloxBlock& block, int word) {
  const int pair = word & ~1;
  const float u1 = 1.0f - uniform_from_bits(block.word[pair]);  // (0, 1]: log is finite
  const float u2 = uniform_from_bits(block.word[pair + 1]);
  const float radius = std::sqrt(-2.0f * std::log(u1));
  const float angle = 6.28318530717958647692f * u2;
  return (word & 1) ? radius * std::sin(angle) : radius * std::cos(angle);
}

}  // namespace

void dropout_forward(float* x, float* scale, long rows, int cols, float rate, DropoutKind kind,
                     const NoiseKey& key, uint32_t index) {
  const uint64_t counter_high = stream_counter(RandomStream::dropout, index);
  const float keep = 1.0f - rate;
  switch (kind) {
    case DropoutKind::bernoulli: {
      const float kept_scale = 1.0f / keep;
      for_each_random_slot<8>(rows, cols, key, counter_high,
                              [&](long i, const PhiloxBlock& b, int w) {
                                const float m = dropped(b, w, rate) ? 0.0f : kept_scale;
                                x[i] *= m;
                                if (scale != nullptr) scale[i] = m;
                              });
      break;
    }
    case DropoutKind::gaussian: {
      const float std = std::sqrt(rate / keep);
      for_each_random_slot<4>(rows, cols, key, counter_high,
                              [&](long i, const PhiloxBlock& b, int w) {
                                const float m = 1.0f + std * standard_normal(b, w);
                                x[i] *= m;
                                if (scale != nullptr) scale[i] = m;
                              });
      break;
    }
    case DropoutKind::alpha: {
      // A dropped unit takes SELU's saturation value α' = −λα, then
      // a·(·) + b restores zero mean and unit variance.
      const float saturation = -1.0507009873554805f * 1.6732632423543772f;
      const float a = 1.0f / std::sqrt(keep * (1.0f + rate * saturation * saturation));
      const float b = -a * saturation * rate;
      for_each_random_slot<8>(rows, cols, key, counter_high,
                              [&](long i, const PhiloxBlock& bl, int w) {
                                const bool kept = !dropped(bl, w, rate);
                                x[i] = kept ? a * x[i] + b : a * saturation + b;
                                if (scale != nullptr) scale[i] = kept ? a : 0.0f;
                              });
      break;
    }
  }
}

void dropout_backward(float* delta, const float* scale, long n) {
  for (long i = 0; i < n; ++i) delta[i] *= scale[i];
}

void gaussian_noise_forward(float* x, long rows, int cols, float std, const NoiseKey& key) {
  for_each_random_slot<4>(
      rows, cols, key, stream_counter(RandomStream::noise, 0),
      [&](long i, const PhiloxBlock& b, int w) { x[i] += std * standard_normal(b, w); });
}

}  // namespace fastdnn
