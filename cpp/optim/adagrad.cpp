#include "optim/adagrad.h"

#include <cmath>

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void adagrad_step(float* params, float* sum, const float* grad, long n, float learning_rate,
                  float epsilon) {
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) {
    sum[i] += grad[i] * grad[i];
    params[i] -= learning_rate * grad[i] / (std::sqrt(sum[i]) + epsilon);
  }
}

}  // namespace fastdnn
