#pragma once

namespace fastdnn {

// Stochastic gradient descent with momentum, as scikit-learn's SGDOptimizer:
//   velocity ← momentum·velocity − lr·grad
//   params   += nesterov ? momentum·velocity − lr·grad : velocity
// params, velocity, grad (n): one pass over the arena.
void sgd_step(float* params, float* velocity, const float* grad, long n, float learning_rate,
              float momentum, bool nesterov);

}  // namespace fastdnn
