#include "optim/sgd.h"

namespace fastdnn {

void sgd_step(float* params, float* velocity, const float* grad, long n, float learning_rate,
              float momentum, bool nesterov) {
  for (long i = 0; i < n; ++i) {
    const float step = learning_rate * grad[i];
    velocity[i] = momentum * velocity[i] - step;
    params[i] += nesterov ? momentum * velocity[i] - step : velocity[i];
  }
}

}  // namespace fastdnn
