#include "optim/weight_averaging.h"

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void polyak_average_update(float* average, const float* params, long n, long count) {
  const float rate = static_cast<float>(1.0 / static_cast<double>(count));
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) average[i] += rate * (params[i] - average[i]);
}

FASTDNN_VECTORIZE_FOR_CPU
void ema_update(float* average, const float* params, long n, float decay) {
  const float rate = 1.0f - decay;
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) average[i] += rate * (params[i] - average[i]);
}

}  // namespace fastdnn
