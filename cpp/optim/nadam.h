#pragma once

namespace fastdnn {

// Nadam (Dozat, 2016) exactly as PyTorch's NAdam and Keras' Nadam, with
// Dozat's momentum schedule μ_t = β1·(1 − ½·0.96^(0.004·t)), at step t ≥ 1:
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   params −= lr · [ (1−μ_t)/(1−Π_{i≤t} μ_i) · g + μ_{t+1}/(1−Π_{i≤t+1} μ_i) · m ]
//             / (√(v / (1−β2ᵗ)) + ε)
// Note β1 only scales the schedule; m itself decays with β1.
// momentum_product is Π_{i≤t} μ_i, kept by the caller (one multiply per step).
// params, m, v, grad (n): one pass over the arena.
// l2_scale: the L2 penalty's gradient, l2_scale·params, is added to grad
// inside the step (as PyTorch's coupled weight_decay), 0 for none. Returns
// Σ params² as they were before the step, read in the same pass: the L2
// penalty of the weights the gradient was taken at.
// rates are nadam_rates' for the step.
struct NadamRates {
  float gradient_rate = 0.0f;             // lr·(1−μ_t)/(1−Π_{i≤t} μ_i)
  float momentum_rate = 0.0f;             // lr·μ_{t+1}/(1−Π_{i≤t+1} μ_i)
  float second_moment_correction = 0.0f;  // 1/(1−β2ᵗ)
};
double nadam_step(float* params, float* m, float* v, const float* grad, long n,
                  const NadamRates& rates, float beta_1, float beta_2, float epsilon,
                  float l2_scale);

// Step t's rates: computed once per step for all the arena's ranges, since
// their powers cost more than a small layer's update.
NadamRates nadam_rates(float learning_rate, float beta_1, float beta_2, long t,
                       double momentum_product);

// μ_t of the schedule above.
double nadam_momentum(double beta_1, long t);

}  // namespace fastdnn
