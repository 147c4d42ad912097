#pragma once

namespace fastdnn {

// Group norm (Wu & He 2018): each row's C units fall into `groups` contiguous
// groups of C/groups units, each normalised over its own units, so a row's
// output never depends on the other rows. Layer norm (Ba et al. 2016) is the
// one-group case.

// out (B,C) = gain·x̂ + shift with x̂ = (inp − μ) / sqrt(σ² + epsilon), μ and
// (biased) σ² over each row's group. normalized (B,C) and inv_std
// (B,groups) are kept for the backward unless null (prediction). out may be
// inp. groups divides C.
void group_norm_forward(float* out, float* normalized, float* inv_std, const float* inp,
                        const float* gain, const float* shift, int B, int C, int groups,
                        float epsilon);

// dinp (B,C) ← inv_std·(d − mean(d) − x̂·mean(d·x̂)) with d = gain·dout, the
// means over each row's group; dgain, dshift (C) += Σ_rows dout·x̂, Σ_rows dout.
// dinp may be dout.
void group_norm_backward(float* dinp, float* dgain, float* dshift, const float* dout,
                         const float* normalized, const float* inv_std, const float* gain, int B,
                         int C, int groups);

}  // namespace fastdnn
