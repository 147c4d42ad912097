#include "optim/weight_averaging.h"

namespace fastdnn {

void polyak_average_update(float* average, const float* params, long n, long count) {
  const float rate = static_cast<float>(1.0 / static_cast<double>(count));
  for (long i = 0; i < n; ++i) average[i] += rate * (params[i] - average[i]);
}

void ema_update(float* average, const float* params, long n, float decay) {
  const float rate = 1.0f - decay;
  for (long i = 0; i < n; ++i) average[i] += rate * (params[i] - average[i]);
}

}  // namespace fastdnn
