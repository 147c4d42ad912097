#pragma once

namespace fastdnn {

// Adagrad (Duchi et al., 2011) as PyTorch's Adagrad with no learning-rate
// decay and a zero initial accumulator:
//   sum ← sum + g²;  params −= lr · g / (√sum + ε)
// params, sum, grad (n): one pass over the arena.
void adagrad_step(float* params, float* sum, const float* grad, long n, float learning_rate,
                  float epsilon);

}  // namespace fastdnn
