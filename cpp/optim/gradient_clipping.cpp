#include "optim/gradient_clipping.h"

#include <algorithm>

namespace fastdnn {

void clip_grad_value(float* grad, long n, float clip) {
  for (long i = 0; i < n; ++i) grad[i] = std::min(std::max(grad[i], -clip), clip);
}

void scale_grad(float* grad, long n, double norm, double max_norm) {
  if (!(norm > max_norm)) return;
  const float scale = static_cast<float>(max_norm / norm);
  for (long i = 0; i < n; ++i) grad[i] *= scale;
}

}  // namespace fastdnn
