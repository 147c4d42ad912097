#pragma once

namespace fastdnn {

// Element-wise clipping (Keras' clipvalue): grad ← clamp(grad, −clip, clip).
// grad (n).
void clip_grad_value(float* grad, long n, float clip);

// Global-norm clipping (PyTorch's clip_grad_norm_, Keras' global_clipnorm):
// when norm > max_norm, grad ← grad · max_norm / norm over every range the
// norm was taken over. grad (n): one of those ranges.
void scale_grad(float* grad, long n, double norm, double max_norm);

}  // namespace fastdnn
