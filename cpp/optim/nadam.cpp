#include "optim/nadam.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

// μ_t of the schedule.
double nadam_momentum(double beta_1, long t) {
  return beta_1 * (1.0 - 0.5 * std::pow(0.96, 0.004 * static_cast<double>(t)));
}

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

Nadam::Nadam(long n_parameters, double beta_1, float beta_2, float epsilon)
    : Optimizer(2, n_parameters), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {}

void Nadam::restore_step(long t) {
  momentum_product_ = 1.0;
  for (long i = 1; i <= t; ++i) momentum_product_ *= nadam_momentum(beta_1_, i);
}

void Nadam::start_step(long t, float learning_rate) {
  momentum_product_ *= nadam_momentum(beta_1_, t);
  // The rates take the schedule at β1's float value, as the update decays m.
  const float beta_1 = static_cast<float>(beta_1_);
  const double mu = nadam_momentum(beta_1, t);
  const double mu_next = nadam_momentum(beta_1, t + 1);
  gradient_rate_ = static_cast<float>(learning_rate * (1.0 - mu) / (1.0 - momentum_product_));
  momentum_rate_ =
      static_cast<float>(learning_rate * mu_next / (1.0 - momentum_product_ * mu_next));
  second_moment_correction_ =
      static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta_2_), t)));
}

double Nadam::update(float* params, const float* grad, long begin, long end, float l2_scale,
                     float rate_scale) {
  float* m = state_[0].data();
  float* v = state_[1].data();
  const float beta_1 = static_cast<float>(beta_1_), beta_2 = beta_2_, epsilon = epsilon_;
  const float gradient_rate = gradient_rate_ * rate_scale;
  const float momentum_rate = momentum_rate_ * rate_scale;
  const float second_moment_correction = second_moment_correction_;
  return chunked_sum(end - begin, [=](long first, long last) {
    return nadam_chunk(params + begin + first, m + begin + first, v + begin + first,
                       grad + begin + first, last - first, beta_1, beta_2, epsilon, gradient_rate,
                       momentum_rate, second_moment_correction, l2_scale);
  });
}

}  // namespace fastdnn
