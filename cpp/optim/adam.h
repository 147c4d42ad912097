#pragma once

namespace fastdnn {

// Adam (Kingma & Ba, 2014) as scikit-learn's AdamOptimizer, at step t ≥ 1:
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   params −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
// params, m, v, grad (n): one pass over the arena.
void adam_step(float* params, float* m, float* v, const float* grad, long n, float learning_rate,
               float beta_1, float beta_2, float epsilon, long t);

}  // namespace fastdnn
