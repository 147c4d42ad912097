#pragma once

#include "optim/optimizer.h"

namespace fastdnn {

// Adam (Kingma & Ba, 2014) as scikit-learn's AdamOptimizer, at step t ≥ 1:
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   params −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
// State: [m, v]. AdamW is this with the trainer's decoupled weight decay
// (optim/weight_decay.h) before each step.
class Adam final : public Optimizer {
 public:
  Adam(long n_parameters, float beta_1, float beta_2, float epsilon);
  // Computes the step's size lr·√(1−β2ᵗ)/(1−β1ᵗ).
  void start_step(long t, float learning_rate) override;
  double update(float* params, const float* grad, long begin, long end, float l2_scale,
                float rate_scale) override;

 private:
  float beta_1_, beta_2_, epsilon_;
  float step_size_ = 0.0f;
};

}  // namespace fastdnn
