#pragma once

#include "nn/activation.h"

namespace fastdnn {

// out (B,OC) = f(inp (B,C) · weight (C,OC) + bias (OC)), f = activation.
// The bias starts the GEMM's sum and f runs on each output tile as the GEMM
// finishes it (softmax, which needs whole rows, runs after). Unless null,
// pre_activation (B,OC) ← the values before f, for derivatives that need them.
void dense_forward(float* out, float* pre_activation, const float* inp, const float* weight,
                   const float* bias, int B, int C, int OC, Activation activation,
                   float leaky_relu_slope);

// dinp (B,C) = (dout·weightᵀ) · f'(z), f = inp_activation, the activation that
// produced inp = f(z) (inp_pre_activation is z, read only where
// activation_backward_needs_pre_activation); f' is applied on each tile as the
// GEMM finishes it. dinp is skipped when null: the input layer needs none.
// dweight (C,OC) = dweight_beta·dweight + inpᵀ·dout (beta 0: overwritten, not
// read); dbias (OC) += Σ_rows dout, summed in row order while that GEMM packs
// dout. Chunks of a full batch (L-BFGS) accumulate with beta 1; a training
// step overwrites with 0 rather than zeroing the weights' gradient first.
void dense_backward(float* dinp, float* dweight, float dweight_beta, float* dbias,
                    const float* dout, const float* inp, const float* inp_pre_activation,
                    const float* weight, int B, int C, int OC, Activation inp_activation,
                    float leaky_relu_slope);

}  // namespace fastdnn
