#pragma once

namespace fastdnn {

// Decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch's AdamW
// applies it before the optimizer's own step:
//   weights ← weights − lr·weight_decay·weights
// It shrinks the weights directly instead of passing through the gradient,
// so adaptive optimizers do not rescale it. weights (n): one weight range.
void decoupled_weight_decay(float* weights, long n, float learning_rate, float weight_decay);

}  // namespace fastdnn
