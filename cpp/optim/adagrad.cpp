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

double adagrad_step(float* params, float* sum, const float* grad, long n, float learning_rate,
                    float epsilon, float l2_scale) {
  return chunked_sum(n, [=](long begin, long end) {
    return adagrad_chunk(params + begin, sum + begin, grad + begin, end - begin, learning_rate,
                         epsilon, l2_scale);
  });
}

}  // namespace fastdnn
