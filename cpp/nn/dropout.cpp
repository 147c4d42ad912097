#include "nn/dropout.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "kernels/random.h"

namespace fastdnn {

namespace {

// The step goes into the key (not the counter) so that no number of steps can
// make two steps' counters collide.
uint64_t step_key(const NoiseKey& key) {
  return key.seed + key.step * 0x9E3779B97F4A7C15ULL;
}

// Element e = first_row·cols + i of a (rows·cols) pass takes the e-th Value
// of the Philox blocks counted from 0: uint16_t, 8 per block (word w's low
// half, then its high half), or uint32_t, 4 per block. Calls
// fill(i, values, v_begin, v_end): element i + (v − v_begin) takes values[v]
// for every v in [v_begin, v_end), and values[0] starts a block. Blocks come a
// chunk at a time from the vectorised generator into buffers on the stack.
template <typename Value, typename Fill>
void for_each_random_chunk(long rows, int cols, const NoiseKey& key, uint64_t counter_high,
                           Fill fill) {
  constexpr uint64_t kBlocks = 64;
  constexpr uint64_t kSlots = 4 * sizeof(uint32_t) / sizeof(Value);
  const uint64_t first = static_cast<uint64_t>(key.first_row) * static_cast<uint64_t>(cols);
  const uint64_t last = first + static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  const uint64_t end_block = (last + kSlots - 1) / kSlots;
  const uint64_t philox_key = step_key(key);
  uint32_t words[4 * kBlocks];
  for (uint64_t block = first / kSlots; block < end_block; block += kBlocks) {
    const uint64_t n_blocks = std::min(kBlocks, end_block - block);
    philox4x32_blocks(philox_key, counter_high, block, static_cast<long>(n_blocks), words);
    const uint64_t chunk_first = block * kSlots;
    const uint64_t begin = std::max(first, chunk_first);
    const uint64_t end = std::min(last, chunk_first + kSlots * n_blocks);
    const long i = static_cast<long>(begin - first);
    const long v_begin = static_cast<long>(begin - chunk_first);
    const long v_end = static_cast<long>(end - chunk_first);
    if constexpr (std::is_same_v<Value, uint16_t>) {
      uint16_t halves[8 * kBlocks];
      for (uint64_t w = 0; w < 4 * n_blocks; ++w) {
        halves[2 * w] = static_cast<uint16_t>(words[w]);
        halves[2 * w + 1] = static_cast<uint16_t>(words[w] >> 16);
      }
      fill(i, halves, v_begin, v_end);
    } else {
      fill(i, words, v_begin, v_end);
    }
  }
}

// A keep/drop decision needs far fewer than 32 bits: 16 per element halve
// the Philox work. An element is dropped when its 16 bits, read as an integer
// u, satisfy u·2⁻¹⁶ < rate, i.e. u < ⌈rate·2¹⁶⌉: the drop probability is rate
// rounded up to a multiple of 2⁻¹⁶ (0.2 becomes 13108/65536 = 0.20001). An
// integer compare, so the mask loops below vectorise without branches.
uint32_t drop_threshold(float rate) {
  return static_cast<uint32_t>(std::ceil(static_cast<double>(rate) * 65536.0));
}

// Box–Muller on the word pair (v, v + 1) or (v − 1, v) that holds word v:
// cos for the pair's first word, sin for its second, so every word gives one
// N(0,1). words[0] starts a block, so pairs start at even v.
float standard_normal(const uint32_t* words, long v) {
  const long pair = v & ~1L;
  const float u1 = 1.0f - uniform_from_bits(words[pair]);  // (0, 1]: log is finite
  const float u2 = uniform_from_bits(words[pair + 1]);
  const float radius = std::sqrt(-2.0f * std::log(u1));
  const float angle = 6.28318530717958647692f * u2;
  return (v & 1) ? radius * std::sin(angle) : radius * std::cos(angle);
}

}  // namespace

void dropout_forward(float* x, float* scale, long rows, int cols, float rate, DropoutKind kind,
                     const NoiseKey& key, uint32_t index) {
  const uint64_t counter_high = stream_counter(RandomStream::dropout, index);
  const float keep = 1.0f - rate;
  switch (kind) {
    case DropoutKind::bernoulli: {
      const float kept_scale = 1.0f / keep;
      const uint32_t threshold = drop_threshold(rate);
      for_each_random_chunk<uint16_t>(
          rows, cols, key, counter_high, [=](long i, const uint16_t* bits, long begin, long end) {
            float* y = x + i - begin;
            float* m = scale != nullptr ? scale + i - begin : nullptr;
            for (long v = begin; v < end; ++v) {
              const float factor = bits[v] < threshold ? 0.0f : kept_scale;
              y[v] *= factor;
              if (m != nullptr) m[v] = factor;
            }
          });
      break;
    }
    case DropoutKind::gaussian: {
      const float std = std::sqrt(rate / keep);
      for_each_random_chunk<uint32_t>(
          rows, cols, key, counter_high, [=](long i, const uint32_t* words, long begin, long end) {
            float* y = x + i - begin;
            float* m = scale != nullptr ? scale + i - begin : nullptr;
            for (long v = begin; v < end; ++v) {
              const float factor = 1.0f + std * standard_normal(words, v);
              y[v] *= factor;
              if (m != nullptr) m[v] = factor;
            }
          });
      break;
    }
    case DropoutKind::alpha: {
      // A dropped unit takes SELU's saturation value α' = −λα, then
      // a·(·) + b restores zero mean and unit variance.
      const float saturation = -1.0507009873554805f * 1.6732632423543772f;
      const float a = 1.0f / std::sqrt(keep * (1.0f + rate * saturation * saturation));
      const float b = -a * saturation * rate;
      const float dropped_value = a * saturation + b;
      const uint32_t threshold = drop_threshold(rate);
      for_each_random_chunk<uint16_t>(rows, cols, key, counter_high,
                                      [=](long i, const uint16_t* bits, long begin, long end) {
                                        float* y = x + i - begin;
                                        float* m = scale != nullptr ? scale + i - begin : nullptr;
                                        for (long v = begin; v < end; ++v) {
                                          const bool kept = bits[v] >= threshold;
                                          y[v] = kept ? a * y[v] + b : dropped_value;
                                          if (m != nullptr) m[v] = kept ? a : 0.0f;
                                        }
                                      });
      break;
    }
  }
}

void dropout_backward(float* delta, const float* scale, long n) {
  for (long i = 0; i < n; ++i) delta[i] *= scale[i];
}

void gaussian_noise_forward(float* x, long rows, int cols, float std, const NoiseKey& key) {
  for_each_random_chunk<uint32_t>(rows, cols, key, stream_counter(RandomStream::noise, 0),
                                  [=](long i, const uint32_t* words, long begin, long end) {
                                    float* y = x + i - begin;
                                    for (long v = begin; v < end; ++v)
                                      y[v] += std * standard_normal(words, v);
                                  });
}

}  // namespace fastdnn
