#pragma once

#include "optim/optimizer.h"

namespace fastdnn {

// Adagrad (Duchi et al., 2011) as PyTorch's Adagrad with no learning-rate
// decay and a zero initial accumulator:
//   sum ← sum + g²;  params −= lr · g / (√sum + ε)
// State: [sum].
class Adagrad final : public Optimizer {
 public:
  Adagrad(long n_parameters, float epsilon);
  double update(float* params, const float* grad, long begin, long end, float l2_scale,
                float rate_scale) override;

 private:
  float epsilon_;
};

}  // namespace fastdnn
