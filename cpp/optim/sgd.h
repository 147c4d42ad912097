#pragma once

#include "optim/optimizer.h"

namespace fastdnn {

// Stochastic gradient descent with momentum, as scikit-learn's SGDOptimizer:
//   velocity ← momentum·velocity − lr·grad
//   params   += nesterov ? momentum·velocity − lr·grad : velocity
// State: [velocity].
class Sgd final : public Optimizer {
 public:
  Sgd(long n_parameters, float momentum, bool nesterov);
  double update(float* params, const float* grad, long begin, long end, float l2_scale,
                float rate_scale) override;

 private:
  float momentum_;
  bool nesterov_;
};

}  // namespace fastdnn
