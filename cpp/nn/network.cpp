#include "nn/network.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/thread_count.h"
#include "kernels/thread_scratch.h"
#include "nn/dense.h"
#include "nn/initialization.h"

namespace fastdnn {

Network::Network(std::vector<int> layer_units, std::vector<Activation> hidden_activations,
                 Activation output_activation, float leaky_relu_slope)
    : layer_units_(std::move(layer_units)),
      hidden_activations_(std::move(hidden_activations)),
      output_activation_(output_activation),
      leaky_relu_slope_(leaky_relu_slope) {
  if (layer_units_.size() < 2) {
    throw std::invalid_argument("a network needs at least an input and an output layer");
  }
  for (int units : layer_units_) {
    if (units <= 0) throw std::invalid_argument("every layer needs at least one unit");
  }
  if (hidden_activations_.size() != layer_units_.size() - 2) {
    throw std::invalid_argument("a network with " + std::to_string(layer_units_.size() - 2) +
                                " hidden layers needs as many hidden activations, not " +
                                std::to_string(hidden_activations_.size()));
  }
  for (Activation activation : hidden_activations_) {
    if (activation == Activation::softmax || activation == Activation::exp) {
      throw std::invalid_argument("'" + activation_name(activation) +
                                  "' is an output activation, not a hidden one");
    }
  }
  long offset = 0;
  for (int layer = 0; layer < n_layers(); ++layer) {
    weight_offsets_.push_back(offset);
    offset += weight_size(layer) + layer_units_[layer + 1];
  }
  parameters_.assign(offset, 0.0f);
}

int Network::max_width() const {
  return *std::max_element(layer_units_.begin() + 1, layer_units_.end());
}

void Network::initialize(uint64_t seed, double glorot_factor) {
  for (int layer = 0; layer < n_layers(); ++layer) {
    glorot_uniform_initialize(weight(layer), bias(layer), layer_units_[layer],
                              layer_units_[layer + 1], glorot_factor, seed, layer);
  }
}

void Network::forward(const Dataset& data, float* out, int n_threads,
                      Activation last_activation) const {
  const ThreadCountScope threads(n_threads);
  if (data.n_features() != n_inputs()) {
    throw std::invalid_argument("X has " + std::to_string(data.n_features()) +
                                " features, but the network expects " + std::to_string(n_inputs()));
  }
  // Chunks bound the workspace whatever the number of rows.
  const int chunk_rows = static_cast<int>(std::min<long>(data.n_samples(), 1024));
  if (chunk_rows == 0) return;
  // Per-thread workspaces: serving threads never share one, and a warm caller
  // allocates nothing.
  const size_t layer_floats = static_cast<size_t>(chunk_rows) * max_width();
  float* const input_scratch =
      thread_scratch(ScratchSlot::forward_input, static_cast<size_t>(chunk_rows) * n_inputs());
  float* const ping = thread_scratch(ScratchSlot::forward_ping, layer_floats);
  float* const pong = thread_scratch(ScratchSlot::forward_pong, layer_floats);
  for (long first = 0; first < data.n_samples(); first += chunk_rows) {
    const int rows = static_cast<int>(std::min<long>(chunk_rows, data.n_samples() - first));
    const float* input = data.contiguous_rows(first, rows, input_scratch);
    for (int layer = 0; layer < n_layers(); ++layer) {
      const bool last = layer == n_layers() - 1;
      float* output = last ? out + first * n_outputs() : (layer % 2 == 0 ? ping : pong);
      dense_forward(output, nullptr, input, weight(layer), bias(layer), rows, layer_units_[layer],
                    layer_units_[layer + 1], last ? last_activation : hidden_activations_[layer],
                    leaky_relu_slope_);
      input = output;
    }
  }
}

}  // namespace fastdnn
