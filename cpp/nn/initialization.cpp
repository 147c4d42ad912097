#include "nn/initialization.h"

#include <cmath>

#include "kernels/random.h"

namespace fastdnn {

namespace {

void fill_uniform(float* out, long n, double bound, uint64_t seed, uint64_t counter_high) {
  for (long i = 0; i < n; ++i) {
    const PhiloxBlock block = philox4x32(seed, counter_high, static_cast<uint64_t>(i));
    const double u = uniform_double_from_bits(block.word[0], block.word[1]);
    out[i] = static_cast<float>((2.0 * u - 1.0) * bound);
  }
}

}  // namespace

void glorot_uniform_initialize(float* weight, float* bias, int fan_in, int fan_out, double factor,
                               uint64_t seed, int layer) {
  const double bound = std::sqrt(factor / (fan_in + fan_out));
  const uint32_t weight_index = static_cast<uint32_t>(2 * layer);
  fill_uniform(weight, static_cast<long>(fan_in) * fan_out, bound, seed,
               stream_counter(RandomStream::initialization, weight_index));
  fill_uniform(bias, fan_out, bound, seed,
               stream_counter(RandomStream::initialization, weight_index + 1));
}

}  // namespace fastdnn
