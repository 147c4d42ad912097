#pragma once

#include "optim/optimizer.h"

namespace fastdnn {

// Nadam (Dozat, 2016) exactly as PyTorch's NAdam and Keras' Nadam, with
// Dozat's momentum schedule μ_t = β1·(1 − ½·0.96^(0.004·t)), at step t ≥ 1:
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   params −= lr · [ (1−μ_t)/(1−Π_{i≤t} μ_i) · g + μ_{t+1}/(1−Π_{i≤t+1} μ_i) · m ]
//             / (√(v / (1−β2ᵗ)) + ε)
// Note β1 only scales the schedule; m itself decays with β1.
// State: [m, v], and the product Π_{i≤t} μ_i (one multiply per step).
class Nadam final : public Optimizer {
 public:
  Nadam(long n_parameters, double beta_1, float beta_2, float epsilon);
  // Multiplies μ_t into the product, then computes the step's rates.
  void start_step(long t, float learning_rate) override;
  double update(float* params, const float* grad, long begin, long end, float l2_scale,
                float rate_scale) override;
  // Π μ_i is a pure function of the step: replaying the products in step
  // order gives exactly the value the steps themselves would have built.
  void restore_step(long t) override;

 private:
  double beta_1_;  // the schedule's, in double; m decays with its float
  float beta_2_, epsilon_;
  double momentum_product_ = 1.0;          // Π_{i≤t} μ_i over the steps taken
  float gradient_rate_ = 0.0f;             // lr·(1−μ_t)/(1−Π_{i≤t} μ_i)
  float momentum_rate_ = 0.0f;             // lr·μ_{t+1}/(1−Π_{i≤t+1} μ_i)
  float second_moment_correction_ = 0.0f;  // 1/(1−β2ᵗ)
};

}  // namespace fastdnn
