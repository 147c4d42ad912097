#pragma once

namespace fastdnn {

// Adam (Kingma & Ba, 2014) as scikit-learn's AdamOptimizer, at step t ≥ 1:
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   params −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
// params, m, v, grad (n): one pass over the arena.
// l2_scale: the L2 penalty's gradient, l2_scale·params, is added to grad
// inside the step (as PyTorch's coupled weight_decay), 0 for none. Returns
// Σ params² as they were before the step, read in the same pass: the L2
// penalty of the weights the gradient was taken at.
// step_size is adam_step_size's for the step.
double adam_step(float* params, float* m, float* v, const float* grad, long n, float step_size,
                 float beta_1, float beta_2, float epsilon, float l2_scale);

// lr·√(1−β2ᵗ)/(1−β1ᵗ), step t's size: computed once per step for all the
// arena's ranges, since its powers cost more than a small layer's update.
float adam_step_size(float learning_rate, float beta_1, float beta_2, long t);

}  // namespace fastdnn
