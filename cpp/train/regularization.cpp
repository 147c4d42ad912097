#include "train/regularization.h"

#include "kernels/reductions.h"

namespace fastdnn {

double regularization_penalty(const Network& network, float* gradient,
                              const Regularization& regularization, double weight_sum) {
  const double alpha = regularization.alpha;
  const double l1 = regularization.l1;
  if (alpha == 0.0 && l1 == 0.0) return 0.0;
  double squared_norm = 0.0;
  double absolute_sum = 0.0;
  const float l2_scale = static_cast<float>(alpha / weight_sum);
  const float l1_scale = static_cast<float>(l1 / weight_sum);
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const float* weight = network.weight(layer);
    const long size = network.weight_size(layer);
    if (alpha != 0.0) squared_norm += sum_of_squares(weight, size);
    if (l1 != 0.0) absolute_sum += sum_of_absolute_values(weight, size);
    if (gradient == nullptr) continue;
    float* weight_gradient = gradient + network.weight_offset(layer);
    if (alpha != 0.0) {
      for (long i = 0; i < size; ++i) weight_gradient[i] += l2_scale * weight[i];
    }
    if (l1 != 0.0) {
      for (long i = 0; i < size; ++i) {
        const float sign = static_cast<float>((weight[i] > 0.0f) - (weight[i] < 0.0f));
        weight_gradient[i] += l1_scale * sign;
      }
    }
  }
  return (0.5 * alpha * squared_norm + l1 * absolute_sum) / weight_sum;
}

}  // namespace fastdnn
