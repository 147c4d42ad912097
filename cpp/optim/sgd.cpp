#include "optim/sgd.h"

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void sgd_step(float* params, float* velocity, const float* grad, long n, float learning_rate,
              float momentum, bool nesterov) {
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) {
    const float step = learning_rate * grad[i];
    velocity[i] = momentum * velocity[i] - step;
    params[i] += nesterov ? momentum * velocity[i] - step : velocity[i];
  }
}

}  // namespace fastdnn
