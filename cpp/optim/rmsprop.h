#pragma once

namespace fastdnn {

// RMSprop (Hinton, 2012) as PyTorch's RMSprop (ε outside the square root):
//   v ← ρ·v + (1−ρ)·g²
//   momentum = 0: params −= lr · g / (√v + ε)
//   momentum > 0: buffer ← momentum·buffer + g / (√v + ε); params −= lr·buffer
// params, v, buffer, grad (n): one pass over the arena; buffer is unused
// (may be null) when momentum is 0.
void rmsprop_step(float* params, float* v, float* buffer, const float* grad, long n,
                  float learning_rate, float rho, float momentum, float epsilon);

}  // namespace fastdnn
