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

Sgd::Sgd(long n_parameters, float momentum, bool nesterov)
    : Optimizer(1, n_parameters), momentum_(momentum), nesterov_(nesterov) {}

double Sgd::update(float* params, const float* grad, long begin, long end, float l2_scale,
                   float rate_scale) {
  float* velocity = state_[0].data();
  const float learning_rate = learning_rate_ * rate_scale, momentum = momentum_;
  const bool nesterov = nesterov_;
  return chunked_sum(end - begin, [=](long first, long last) {
    return sgd_chunk(params + begin + first, velocity + begin + first, grad + begin + first,
                     last - first, learning_rate, momentum, nesterov, l2_scale);
  });
}

}  // namespace fastdnn
