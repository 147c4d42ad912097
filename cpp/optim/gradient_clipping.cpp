#include "optim/gradient_clipping.h"

#include <algorithm>

namespace fastdnn {

void clip_grad_value(float* grad, long n, float clip) {
  for (long i = 0; i < n; ++i) grad[i] = std::min(std::max(grad[i], -clip), clip);
}

double grad_squared_norm(const float* grad, long n) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  long i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const double value = grad[i + lane];
      lanes[lane] += value * value;
    }
  }
  for (int lane = 0; i < n; ++i, ++lane) lanes[lane] += static_cast<double>(grad[i]) * grad[i];
  double sum = 0.0;
  for (double lane : lanes) sum += lane;
  return sum;
}

void scale_grad(float* grad, long n, double norm, double max_norm) {
  if (!(norm > max_norm)) return;
  const float scale = static_cast<float>(max_norm / norm);
  for (long i = 0; i < n; ++i) grad[i] *= scale;
}

}  // namespace fastdnn
