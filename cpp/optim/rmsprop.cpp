#include "optim/rmsprop.h"

#include <cmath>

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void rmsprop_step(float* params, float* v, float* buffer, const float* grad, long n,
                  float learning_rate, float rho, float momentum, float epsilon) {
  // Two loops rather than a branch inside one, so each vectorises.
  if (momentum == 0.0f) {
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
    for (long i = 0; i < n; ++i) {
      v[i] = rho * v[i] + (1.0f - rho) * grad[i] * grad[i];
      params[i] -= learning_rate * grad[i] / (std::sqrt(v[i]) + epsilon);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) {
    v[i] = rho * v[i] + (1.0f - rho) * grad[i] * grad[i];
    buffer[i] = momentum * buffer[i] + grad[i] / (std::sqrt(v[i]) + epsilon);
    params[i] -= learning_rate * buffer[i];
  }
}

}  // namespace fastdnn
