#pragma once

namespace fastdnn {

// RMSprop (Hinton, 2012) as PyTorch's RMSprop (ε outside the square root):
//   v ← ρ·v + (1−ρ)·g²
//   momentum = 0: params −= lr · g / (√v + ε)
//   momentum > 0: buffer ← momentum·buffer + g / (√v + ε); params −= lr·buffer
// params, v, buffer, grad (n): one pass over the arena; buffer is unused
// (may be null) when momentum is 0.
// l2_scale: the L2 penalty's gradient, l2_scale·params, is added to grad
// inside the step (as PyTorch's coupled weight_decay), 0 for none. Returns
// Σ params² as they were before the step, read in the same pass: the L2
// penalty of the weights the gradient was taken at.
double rmsprop_step(float* params, float* v, float* buffer, const float* grad, long n,
                    float learning_rate, float rho, float momentum, float epsilon, float l2_scale);

}  // namespace fastdnn
