#include "optim/nadam.h"

#include <cmath>

#include "kernels/arena_pass.h"

namespace fastdnn {

double nadam_momentum(double beta_1, long t) {
  return beta_1 * (1.0 - 0.5 * std::pow(0.96, 0.004 * static_cast<double>(t)));
}

FASTDNN_VECTORIZE_FOR_CPU
void nadam_step(float* params, float* m, float* v, const float* grad, long n, float learning_rate,
                float beta_1, float beta_2, float epsilon, long t, double momentum_product) {
  const double mu = nadam_momentum(beta_1, t);
  const double mu_next = nadam_momentum(beta_1, t + 1);
  const float gradient_rate =
      static_cast<float>(learning_rate * (1.0 - mu) / (1.0 - momentum_product));
  const float momentum_rate =
      static_cast<float>(learning_rate * mu_next / (1.0 - momentum_product * mu_next));
  const float second_moment_correction =
      static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta_2), t)));
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) {
    m[i] = beta_1 * m[i] + (1.0f - beta_1) * grad[i];
    v[i] = beta_2 * v[i] + (1.0f - beta_2) * grad[i] * grad[i];
    const float denominator = std::sqrt(v[i] * second_moment_correction) + epsilon;
    params[i] -= (gradient_rate * grad[i] + momentum_rate * m[i]) / denominator;
  }
}

}  // namespace fastdnn
