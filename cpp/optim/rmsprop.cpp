#include "optim/rmsprop.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

// Two functions rather than a branch inside one loop, so each vectorises.
FASTDNN_VECTORIZE_FOR_CPU
double rmsprop_chunk(float* __restrict params, float* __restrict v, const float* __restrict grad,
                     long n, float learning_rate, float rho, float epsilon, float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float g = grad[i] + l2_scale * weight;
    v[i] = rho * v[i] + (1.0f - rho) * g * g;
    params[i] = weight - learning_rate * g / (std::sqrt(v[i]) + epsilon);
    return static_cast<double>(weight) * weight;
  });
}

FASTDNN_VECTORIZE_FOR_CPU
double rmsprop_momentum_chunk(float* __restrict params, float* __restrict v,
                              float* __restrict buffer, const float* __restrict grad, long n,
                              float learning_rate, float rho, float momentum, float epsilon,
                              float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float g = grad[i] + l2_scale * weight;
    v[i] = rho * v[i] + (1.0f - rho) * g * g;
    buffer[i] = momentum * buffer[i] + g / (std::sqrt(v[i]) + epsilon);
    params[i] = weight - learning_rate * buffer[i];
    return static_cast<double>(weight) * weight;
  });
}

}  // namespace

double rmsprop_step(float* params, float* v, float* buffer, const float* grad, long n,
                    float learning_rate, float rho, float momentum, float epsilon, float l2_scale) {
  return chunked_sum(n, [=](long begin, long end) {
    if (momentum == 0.0f) {
      return rmsprop_chunk(params + begin, v + begin, grad + begin, end - begin, learning_rate, rho,
                           epsilon, l2_scale);
    }
    return rmsprop_momentum_chunk(params + begin, v + begin, buffer + begin, grad + begin,
                                  end - begin, learning_rate, rho, momentum, epsilon, l2_scale);
  });
}

}  // namespace fastdnn
