#pragma once

namespace fastdnn {

// Stochastic gradient descent with momentum, as scikit-learn's SGDOptimizer:
//   velocity ← momentum·velocity − lr·grad
//   params   += nesterov ? momentum·velocity − lr·grad : velocity
// params, velocity, grad (n): one pass over the arena.
// l2_scale: the L2 penalty's gradient, l2_scale·params, is added to grad
// inside the step (as PyTorch's coupled weight_decay), 0 for none. Returns
// Σ params² as they were before the step, read in the same pass: the L2
// penalty of the weights the gradient was taken at.
double sgd_step(float* params, float* velocity, const float* grad, long n, float learning_rate,
                float momentum, bool nesterov, float l2_scale);

}  // namespace fastdnn
