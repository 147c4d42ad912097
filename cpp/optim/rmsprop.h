#pragma once

#include "optim/optimizer.h"

namespace fastdnn {

// RMSprop (Hinton, 2012) as PyTorch's RMSprop (ε outside the square root):
//   v ← ρ·v + (1−ρ)·g²
//   momentum = 0: params −= lr · g / (√v + ε)
//   momentum > 0: buffer ← momentum·buffer + g / (√v + ε); params −= lr·buffer
// State: [v], and [v, buffer] with momentum.
class Rmsprop final : public Optimizer {
 public:
  Rmsprop(long n_parameters, float rho, double momentum, float epsilon);
  double update(float* params, const float* grad, long begin, long end, float l2_scale,
                float rate_scale) override;

 private:
  float rho_, momentum_, epsilon_;
};

}  // namespace fastdnn
