#include "optim/gradient_clipping.h"

#include <algorithm>

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void clip_grad_value(float* grad, long n, float clip) {
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) grad[i] = std::min(std::max(grad[i], -clip), clip);
}

FASTDNN_VECTORIZE_FOR_CPU
void scale_grad(float* grad, long n, double norm, double max_norm) {
  if (!(norm > max_norm)) return;
  const float scale = static_cast<float>(max_norm / norm);
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) grad[i] *= scale;
}

}  // namespace fastdnn
