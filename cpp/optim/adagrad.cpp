#include "optim/adagrad.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
double adagrad_chunk(float* __restrict params, float* __restrict sum, const float* __restrict grad,
                     long n, float learning_rate, float epsilon, float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float g = grad[i] + l2_scale * weight;
    sum[i] += g * g;
    params[i] = weight - learning_rate * g / (std::sqrt(sum[i]) + epsilon);
    return static_cast<double>(weight) * weight;
  });
}

}  // namespace

Adagrad::Adagrad(long n_parameters, float epsilon)
    : Optimizer(1, n_parameters), epsilon_(epsilon) {}

double Adagrad::update(float* params, const float* grad, long begin, long end, float l2_scale,
                       float rate_scale) {
  float* sum = state_[0].data();
  const float learning_rate = learning_rate_ * rate_scale, epsilon = epsilon_;
  return chunked_sum(end - begin, [=](long first, long last) {
    const long offset = begin + first;
    return adagrad_chunk(params + offset, sum + offset, grad + offset, last - first, learning_rate,
                         epsilon, l2_scale);
  });
}

}  // namespace fastdnn
