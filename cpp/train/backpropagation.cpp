#include "train/backpropagation.h"

#include <algorithm>
#include <stdexcept>

#include "nn/dense.h"

namespace fastdnn {

Backpropagation::Backpropagation(const Network& network, Loss loss)
    : loss_(loss),
      layer_units_(network.layer_units()),
      hidden_activations_(network.hidden_activations()) {
  if (output_activation_for(loss) != network.output_activation()) {
    throw std::invalid_argument("loss and the network's output activation do not pair");
  }
  activations_.resize(network.n_layers());
  pre_activations_.resize(network.n_layers());
}

void Backpropagation::reserve(int rows) {
  if (rows <= capacity_) return;
  capacity_ = rows;
  int max_width = 0;
  for (size_t layer = 0; layer < activations_.size(); ++layer) {
    activations_[layer].assign(static_cast<size_t>(rows) * layer_units_[layer + 1], 0.0f);
    if (layer + 1 < activations_.size() &&
        activation_backward_needs_pre_activation(hidden_activations_[layer])) {
      pre_activations_[layer].assign(activations_[layer].size(), 0.0f);
    }
    max_width = std::max(max_width, layer_units_[layer + 1]);
  }
  delta_.assign(static_cast<size_t>(rows) * max_width, 0.0f);
  delta_next_.assign(delta_.size(), 0.0f);
}

double Backpropagation::accumulate_gradient(const Network& network, float* gradient,
                                            const float* inputs, const float* targets,
                                            const float* sample_weight, int rows,
                                            double weight_sum) {
  if (rows > capacity_) throw std::logic_error("Backpropagation workspace too small");
  const int n_layers = network.n_layers();
  const float* layer_input = inputs;
  for (int layer = 0; layer < n_layers; ++layer) {
    float* output = activations_[layer].data();
    dense_forward(output, layer_input, network.weight(layer), network.bias(layer), rows,
                  layer_units_[layer], layer_units_[layer + 1]);
    // The output layer stays a pre-activation: the loss reads z directly.
    if (layer < n_layers - 1) {
      if (!pre_activations_[layer].empty()) {
        std::copy(output, output + static_cast<long>(rows) * layer_units_[layer + 1],
                  pre_activations_[layer].data());
      }
      activation_forward(output, rows, layer_units_[layer + 1], hidden_activations_[layer],
                         network.leaky_relu_slope());
    }
    layer_input = output;
  }
  const double loss =
      loss_forward_backward(delta_.data(), activations_[n_layers - 1].data(), targets,
                            sample_weight, rows, layer_units_[n_layers], loss_, weight_sum);
  for (int layer = n_layers - 1; layer >= 0; --layer) {
    const float* input = layer == 0 ? inputs : activations_[layer - 1].data();
    float* input_delta = layer == 0 ? nullptr : delta_next_.data();
    dense_backward(input_delta, gradient + network.weight_offset(layer),
                   gradient + network.bias_offset(layer), delta_.data(), input,
                   network.weight(layer), rows, layer_units_[layer], layer_units_[layer + 1]);
    if (layer > 0) {
      activation_backward(input_delta, pre_activations_[layer - 1].data(),
                          activations_[layer - 1].data(),
                          static_cast<long>(rows) * layer_units_[layer],
                          hidden_activations_[layer - 1], network.leaky_relu_slope());
      std::swap(delta_, delta_next_);
    }
  }
  return loss;
}

}  // namespace fastdnn
