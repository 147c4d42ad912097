#include "train/training_statistics.h"

#include <algorithm>
#include <cmath>

namespace fastdnn {

void TrainingStatistics::reset(const Network& network) {
  layers_.assign(network.n_layers(), LayerStatistics{});
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    layers_[layer].unit_active.assign(network.layer_units()[layer + 1], 0);
  }
  gradient_norm_sum_ = 0.0;
  steps_ = 0;
}

namespace {

bool is_saturated(float value, Activation activation) {
  switch (activation) {
    case Activation::relu:
      return value <= 0.0f;
    case Activation::logistic:
      return value < 0.01f || value > 0.99f;
    case Activation::tanh:
      return std::fabs(value) > 0.99f;
    default:
      return false;
  }
}

}  // namespace

void TrainingStatistics::add_activations(int layer, const float* activations, int rows, int units,
                                         Activation activation) {
  LayerStatistics& statistics = layers_[layer];
  double sum = 0.0, square_sum = 0.0;
  long saturated = 0;
  for (int row = 0; row < rows; ++row) {
    const float* values = activations + static_cast<long>(row) * units;
    for (int unit = 0; unit < units; ++unit) {
      const float value = values[unit];
      sum += value;
      square_sum += static_cast<double>(value) * value;
      saturated += is_saturated(value, activation);
      statistics.unit_active[unit] |= value != 0.0f;
    }
  }
  statistics.activation_sum += sum;
  statistics.activation_square_sum += square_sum;
  statistics.activation_count += static_cast<long>(rows) * units;
  statistics.saturated_count += saturated;
}

void TrainingStatistics::add_gradient(const Network& network, const float* gradient) {
  double total = 0.0;
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const float* weight_gradient = gradient + network.weight_offset(layer);
    double square_sum = 0.0;
    for (long i = 0; i < network.weight_size(layer); ++i) {
      square_sum += static_cast<double>(weight_gradient[i]) * weight_gradient[i];
    }
    const float* bias_gradient = gradient + network.bias_offset(layer);
    double bias_square_sum = 0.0;
    for (int i = 0; i < network.layer_units()[layer + 1]; ++i) {
      bias_square_sum += static_cast<double>(bias_gradient[i]) * bias_gradient[i];
    }
    layers_[layer].gradient_norm_sum += std::sqrt(square_sum);
    total += square_sum + bias_square_sum;
  }
  gradient_norm_sum_ += std::sqrt(total);
  ++steps_;
}

}  // namespace fastdnn
