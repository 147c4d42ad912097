#include "optim/adam.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
double adam_chunk(float* __restrict params, float* __restrict m, float* __restrict v,
                  const float* __restrict grad, long n, float rate, float beta_1, float beta_2,
                  float epsilon, float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float g = grad[i] + l2_scale * weight;
    m[i] = beta_1 * m[i] + (1.0f - beta_1) * g;
    v[i] = beta_2 * v[i] + (1.0f - beta_2) * g * g;
    params[i] = weight - rate * m[i] / (std::sqrt(v[i]) + epsilon);
    return static_cast<double>(weight) * weight;
  });
}

}  // namespace

Adam::Adam(long n_parameters, float beta_1, float beta_2, float epsilon)
    : Optimizer(2, n_parameters), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {}

void Adam::start_step(long t, float learning_rate) {
  step_size_ = static_cast<float>(learning_rate *
                                  std::sqrt(1.0 - std::pow(static_cast<double>(beta_2_), t)) /
                                  (1.0 - std::pow(static_cast<double>(beta_1_), t)));
}

double Adam::update(float* params, const float* grad, long begin, long end, float l2_scale,
                    float rate_scale) {
  float* m = state_[0].data();
  float* v = state_[1].data();
  const float step_size = step_size_ * rate_scale, beta_1 = beta_1_, beta_2 = beta_2_,
              epsilon = epsilon_;
  return chunked_sum(end - begin, [=](long first, long last) {
    return adam_chunk(params + begin + first, m + begin + first, v + begin + first,
                      grad + begin + first, last - first, step_size, beta_1, beta_2, epsilon,
                      l2_scale);
  });
}

}  // namespace fastdnn
