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

// The buffer exists for any momentum above 0, however small its float.
Rmsprop::Rmsprop(long n_parameters, float rho, double momentum, float epsilon)
    : Optimizer(momentum > 0.0 ? 2 : 1, n_parameters),
      rho_(rho),
      momentum_(static_cast<float>(momentum)),
      epsilon_(epsilon) {}

double Rmsprop::update(float* params, const float* grad, long begin, long end, float l2_scale,
                       float rate_scale) {
  float* v = state_[0].data();
  float* buffer = state_.size() > 1 ? state_[1].data() : nullptr;
  const float learning_rate = learning_rate_ * rate_scale, rho = rho_, momentum = momentum_;
  const float epsilon = epsilon_;
  return chunked_sum(end - begin, [=](long first, long last) {
    const long offset = begin + first;
    if (momentum == 0.0f) {
      return rmsprop_chunk(params + offset, v + offset, grad + offset, last - first, learning_rate,
                           rho, epsilon, l2_scale);
    }
    return rmsprop_momentum_chunk(params + offset, v + offset, buffer + offset, grad + offset,
                                  last - first, learning_rate, rho, momentum, epsilon, l2_scale);
  });
}

}  // namespace fastdnn
