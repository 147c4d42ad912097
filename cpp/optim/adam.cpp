#include "optim/adam.h"

#include <cmath>

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void adam_step(float* params, float* m, float* v, const float* grad, long n, float learning_rate,
               float beta_1, float beta_2, float epsilon, long t) {
  const double bias_corrected_rate = learning_rate *
                                     std::sqrt(1.0 - std::pow(static_cast<double>(beta_2), t)) /
                                     (1.0 - std::pow(static_cast<double>(beta_1), t));
  const float rate = static_cast<float>(bias_corrected_rate);
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) {
    m[i] = beta_1 * m[i] + (1.0f - beta_1) * grad[i];
    v[i] = beta_2 * v[i] + (1.0f - beta_2) * grad[i] * grad[i];
    params[i] -= rate * m[i] / (std::sqrt(v[i]) + epsilon);
  }
}

}  // namespace fastdnn
