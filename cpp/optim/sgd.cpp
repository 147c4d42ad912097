#include "optim/sgd.h"

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
double sgd_chunk(float* __restrict params, float* __restrict velocity, const float* __restrict grad,
                 long n, float learning_rate, float momentum, bool nesterov, float l2_scale) {
  return lane_sum(n, [=](long i) {
    const float weight = params[i];
    const float step = learning_rate * (grad[i] + l2_scale * weight);
    velocity[i] = momentum * velocity[i] - step;
    params[i] = weight + (nesterov ? momentum * velocity[i] - step : velocity[i]);
    return static_cast<double>(weight) * weight;
  });
}

}  // namespace

double sgd_step(float* params, float* velocity, const float* grad, long n, float learning_rate,
                float momentum, bool nesterov, float l2_scale) {
  return chunked_sum(n, [=](long begin, long end) {
    return sgd_chunk(params + begin, velocity + begin, grad + begin, end - begin, learning_rate,
                     momentum, nesterov, l2_scale);
  });
}

}  // namespace fastdnn
