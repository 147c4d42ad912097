#pragma once

namespace fastdnn {

// Decorrelated batch norm (Huang, Yang, Lang & Deng, "Decorrelated Batch
// Normalization", CVPR 2018): the C units fall into `groups` contiguous
// groups of m = C/groups units, and each group is ZCA-whitened over the
// minibatch's B rows,
//   x̂ = (x − μ)·W,  W = Σ^(−1/2) = U·Λ^(−1/2)·Uᵀ,  Σ = (x − μ)ᵀ(x − μ)/B + ε·I,
// then scaled and shifted per unit: out = gain·x̂ + shift. W comes from an
// eigendecomposition of Σ (kernels/symmetric_eigen.h), not from Newton–Schulz
// iterations (IterNorm, Huang et al. 2019): those approximate Σ^(−1/2) and
// only converge to it for a well-conditioned Σ, while a group of a few dozen
// units decomposes exactly in microseconds on a CPU. Prediction whitens each
// row alone with running averages of μ and W (Huang et al.'s Algorithm 1), a
// fixed affine map.

// Training. normalized (B,C) ← x̂, centered (B,C) ← x − μ, mean (C) ← μ,
// whitening (groups·m·m) ← each group's W, eigenvectors (groups·m·m) ← U
// (columns), eigenvalues (C) ← Λ of Σ + εI, per group. out may be inp.
void decorrelated_batch_norm_forward(float* out, float* normalized, float* centered, float* mean,
                                     float* whitening, float* eigenvectors, float* eigenvalues,
                                     const float* inp, const float* gain, const float* shift, int B,
                                     int C, int groups, float epsilon);

// Prediction: out (B,C) = gain·((inp − running_mean)·running_whitening) + shift,
// group by group; each row alone. out may be inp.
void decorrelated_batch_norm_inference(float* out, const float* inp, const float* gain,
                                       const float* shift, const float* running_mean,
                                       const float* running_whitening, int B, int C, int groups);

// dinp (B,C) ← ∂L/∂inp through μ, Σ and W; dgain, dshift (C) += Σ_rows dout·x̂,
// Σ_rows dout. With g = gain·dout and G = (x − μ)ᵀ·g, W's gradient reaches Σ
// by the Daleckii–Krein formula, U·((UᵀGU) ∘ K)·Uᵀ, where for f(λ) = λ^(−1/2)
// K_ij = (f(λ_i) − f(λ_j))/(λ_i − λ_j) = −1/(s_i·s_j·(s_i + s_j)), s = √λ:
// the closed form stays exact where eigenvalues coincide, which the
// difference quotient (Huang et al.'s equation) would divide by zero.
// dinp may be dout.
void decorrelated_batch_norm_backward(float* dinp, float* dgain, float* dshift, const float* dout,
                                      const float* normalized, const float* centered,
                                      const float* whitening, const float* eigenvectors,
                                      const float* eigenvalues, const float* gain, int B, int C,
                                      int groups);

}  // namespace fastdnn
