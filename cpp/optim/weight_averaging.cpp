#include "optim/weight_averaging.h"

#include <algorithm>

#include "kernels/arena_pass.h"

namespace fastdnn {

namespace {

// average += rate · (params − average): Polyak's running mean and the EMA
// differ only in their rate.
FASTDNN_VECTORIZE_FOR_CPU
void move_towards_range(float* average, const float* params, long n, float rate) {
  for (long i = 0; i < n; ++i) average[i] += rate * (params[i] - average[i]);
}

void move_towards(float* average, const float* params, long n, float rate) {
  arena_pass(n, [=](long begin, long end) {
    move_towards_range(average + begin, params + begin, end - begin, rate);
  });
}

}  // namespace

void polyak_average_update(float* average, const float* params, long n, long count) {
  move_towards(average, params, n, static_cast<float>(1.0 / static_cast<double>(count)));
}

void ema_update(float* average, const float* params, long n, float decay) {
  move_towards(average, params, n, 1.0f - decay);
}

double ema_warmed_up_decay(double decay, long averaged) {
  const double warm_up =
      (1.0 + static_cast<double>(averaged)) / (10.0 + static_cast<double>(averaged));
  return std::min(decay, warm_up);
}

}  // namespace fastdnn
