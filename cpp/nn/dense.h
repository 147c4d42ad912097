#pragma once

namespace fastdnn {

// out (B,OC) = inp (B,C) · weight (C,OC) + bias (OC)
void dense_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                   int C, int OC);

// dinp (B,C) = dout·weightᵀ (skipped when dinp is null: the input layer needs none);
// dweight (C,OC) += inpᵀ·dout; dbias (OC) += Σ_rows dout.
// Gradients are added to, so a trainer zeroes them once per step and chunks of a
// full batch (L-BFGS) accumulate into them.
void dense_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                    const float* weight, int B, int C, int OC);

}  // namespace fastdnn
