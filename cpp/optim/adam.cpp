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

float adam_step_size(float learning_rate, float beta_1, float beta_2, long t) {
  return static_cast<float>(learning_rate *
                            std::sqrt(1.0 - std::pow(static_cast<double>(beta_2), t)) /
                            (1.0 - std::pow(static_cast<double>(beta_1), t)));
}

double adam_step(float* params, float* m, float* v, const float* grad, long n, float step_size,
                 float beta_1, float beta_2, float epsilon, float l2_scale) {
  return chunked_sum(n, [=](long begin, long end) {
    return adam_chunk(params + begin, m + begin, v + begin, grad + begin, end - begin, step_size,
                      beta_1, beta_2, epsilon, l2_scale);
  });
}

}  // namespace fastdnn
