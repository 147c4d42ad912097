#include "train/regularization.h"

#include <cmath>

#include "kernels/arena_pass.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

// gradient (n) += l2_scale·weight; returns Σ weight², read in the same pass.
FASTDNN_VECTORIZE_FOR_CPU
double add_l2_gradient(float* __restrict gradient, const float* __restrict weight, long n,
                       float l2_scale) {
  return lane_sum(n, [=](long i) {
    gradient[i] += l2_scale * weight[i];
    const double value = weight[i];
    return value * value;
  });
}

// gradient (n) += l1_scale·sign(weight); returns Σ |weight|.
FASTDNN_VECTORIZE_FOR_CPU
double add_l1_gradient(float* __restrict gradient, const float* __restrict weight, long n,
                       float l1_scale) {
  return lane_sum(n, [=](long i) {
    const float sign = static_cast<float>((weight[i] > 0.0f) - (weight[i] < 0.0f));
    gradient[i] += l1_scale * sign;
    return std::fabs(static_cast<double>(weight[i]));
  });
}

}  // namespace

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
    if (gradient == nullptr) {
      if (alpha != 0.0) squared_norm += sum_of_squares(weight, size);
      if (l1 != 0.0) absolute_sum += sum_of_absolute_values(weight, size);
      continue;
    }
    float* weight_gradient = gradient + network.weight_offset(layer);
    if (alpha != 0.0) {
      squared_norm += chunked_sum(size, [&](long begin, long end) {
        return add_l2_gradient(weight_gradient + begin, weight + begin, end - begin, l2_scale);
      });
    }
    if (l1 != 0.0) {
      absolute_sum += chunked_sum(size, [&](long begin, long end) {
        return add_l1_gradient(weight_gradient + begin, weight + begin, end - begin, l1_scale);
      });
    }
  }
  return (0.5 * alpha * squared_norm + l1 * absolute_sum) / weight_sum;
}

double add_activity_l1_penalty(double loss, const float* h, int rows, int units,
                               const float* sample_weight, float activity_l1, double weight_sum) {
  for (int i = 0; i < rows; ++i) {
    double row_sum = 0.0;
    for (int j = 0; j < units; ++j) row_sum += std::fabs(h[static_cast<long>(i) * units + j]);
    loss +=
        (sample_weight != nullptr ? sample_weight[i] : 1.0) * activity_l1 * row_sum / weight_sum;
  }
  return loss;
}

void add_activity_l1_gradient(float* delta, const float* h, int rows, int units,
                              const float* sample_weight, float activity_l1, double weight_sum) {
  for (int i = 0; i < rows; ++i) {
    const float coefficient = static_cast<float>(
        (sample_weight != nullptr ? sample_weight[i] : 1.0) * activity_l1 / weight_sum);
    for (int j = 0; j < units; ++j) {
      const long k = static_cast<long>(i) * units + j;
      delta[k] += coefficient * static_cast<float>((h[k] > 0.0f) - (h[k] < 0.0f));
    }
  }
}

}  // namespace fastdnn
