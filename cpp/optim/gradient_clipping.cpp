#include "optim/gradient_clipping.h"

#include <algorithm>

#include "kernels/arena_pass.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
void clip_range(float* grad, long n, float clip) {
  for (long i = 0; i < n; ++i) grad[i] = std::min(std::max(grad[i], -clip), clip);
}

FASTDNN_VECTORIZE_FOR_CPU
void scale_range(float* grad, long n, float scale) {
  for (long i = 0; i < n; ++i) grad[i] *= scale;
}

}  // namespace

void clip_grad_value(float* grad, long n, float clip) {
  arena_pass(n, [=](long begin, long end) { clip_range(grad + begin, end - begin, clip); });
}

void scale_grad(float* grad, long n, double norm, double max_norm) {
  if (!(norm > max_norm)) return;
  const float scale = static_cast<float>(max_norm / norm);
  arena_pass(n, [=](long begin, long end) { scale_range(grad + begin, end - begin, scale); });
}

}  // namespace fastdnn
