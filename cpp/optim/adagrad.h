#pragma once

namespace fastdnn {

// Adagrad (Duchi et al., 2011) as PyTorch's Adagrad with no learning-rate
// decay and a zero initial accumulator:
//   sum ← sum + g²;  params −= lr · g / (√sum + ε)
// params, sum, grad (n): one pass over the arena.
// l2_scale: the L2 penalty's gradient, l2_scale·params, is added to grad
// inside the step (as PyTorch's coupled weight_decay), 0 for none. Returns
// Σ params² as they were before the step, read in the same pass: the L2
// penalty of the weights the gradient was taken at.
double adagrad_step(float* params, float* sum, const float* grad, long n, float learning_rate,
                    float epsilon, float l2_scale);

}  // namespace fastdnn
