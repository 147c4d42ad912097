#include "optim/nadam.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

double nadam_momentum(double beta_1, long t) {
  return beta_1 * (1.0 - 0.5 * std::pow(0.96, 0.004 * static_cast<double>(t)));
}

namespace {

FASTDNN_VECTORIZE_FOR_CPU
double nadam_chunk(float* __restrict params, float* __restrict m, float* __restrict v,
                   const float* __restrict grad, long n, float beta_1, float beta_2, float epsilon,
                   float gradient_rate, float momentum_rate, float second_moment_correction,
                   float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float g = grad[i] + l2_scale * weight;
    m[i] = beta_1 * m[i] + (1.0f - beta_1) * g;
    v[i] = beta_2 * v[i] + (1.0f - beta_2) * g * g;
    const float denominator = std::sqrt(v[i] * second_moment_correction) + epsilon;
    params[i] = weight - (gradient_rate * g + momentum_rate * m[i]) / denominator;
    return static_cast<double>(weight) * weight;
  });
}

}  // namespace

NadamRates nadam_rates(float learning_rate, float beta_1, float beta_2, long t,
                       double momentum_product) {
  const double mu = nadam_momentum(beta_1, t);
  const double mu_next = nadam_momentum(beta_1, t + 1);
  NadamRates rates;
  rates.gradient_rate = static_cast<float>(learning_rate * (1.0 - mu) / (1.0 - momentum_product));
  rates.momentum_rate =
      static_cast<float>(learning_rate * mu_next / (1.0 - momentum_product * mu_next));
  rates.second_moment_correction =
      static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta_2), t)));
  return rates;
}

double nadam_step(float* params, float* m, float* v, const float* grad, long n,
                  const NadamRates& rates, float beta_1, float beta_2, float epsilon,
                  float l2_scale) {
  return chunked_sum(n, [=, &rates](long begin, long end) {
    return nadam_chunk(params + begin, m + begin, v + begin, grad + begin, end - begin, beta_1,
                       beta_2, epsilon, rates.gradient_rate, rates.momentum_rate,
                       rates.second_moment_correction, l2_scale);
  });
}

}  // namespace fastdnn
