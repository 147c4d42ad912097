#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "kernels/aligned_buffer.h"
#include "nn/activation.h"
#include "nn/initialization.h"

namespace fastdnn {

// A fully connected network: layer_units = [n_features, hidden..., n_outputs].
// Every trainable parameter lives in one flat arena, laid out as
// weight 0 (units[0],units[1]), bias 0 (units[1]), weight 1, bias 1, ...
// so an optimizer step, clipping, averaging, snapshotting the best weights and
// serialisation are each one loop over one buffer. The arena is sized once
// and never reallocated: views into it (numpy's coefs_) stay valid.
class Network {
 public:
  // hidden_activations holds one activation per hidden layer.
  Network(std::vector<int> layer_units, std::vector<Activation> hidden_activations,
          Activation output_activation, float leaky_relu_slope = 0.01f);

  const std::vector<int>& layer_units() const { return layer_units_; }
  int n_layers() const { return static_cast<int>(layer_units_.size()) - 1; }
  int n_inputs() const { return layer_units_.front(); }
  int n_outputs() const { return layer_units_.back(); }
  int max_width() const;
  const std::vector<Activation>& hidden_activations() const { return hidden_activations_; }
  // The activation after weight layer `layer`: a hidden one, or the output's.
  Activation activation(int layer) const {
    return layer < n_layers() - 1 ? hidden_activations_[layer] : output_activation_;
  }
  float leaky_relu_slope() const { return leaky_relu_slope_; }
  Activation output_activation() const { return output_activation_; }

  long n_parameters() const { return static_cast<long>(parameters_.size()); }
  float* parameters() { return parameters_.data(); }
  const float* parameters() const { return parameters_.data(); }
  long weight_offset(int layer) const { return weight_offsets_[layer]; }
  long bias_offset(int layer) const { return weight_offsets_[layer] + weight_size(layer); }
  long weight_size(int layer) const {
    return static_cast<long>(layer_units_[layer]) * layer_units_[layer + 1];
  }
  float* weight(int layer) { return parameters_.data() + weight_offset(layer); }
  const float* weight(int layer) const { return parameters_.data() + weight_offset(layer); }
  float* bias(int layer) { return parameters_.data() + bias_offset(layer); }
  const float* bias(int layer) const { return parameters_.data() + bias_offset(layer); }

  // Every layer's initial weights and biases by `init` (see nn/initialization.h);
  // glorot_factor is scikit-learn's factor, read only by WeightInit::scikit_learn.
  void initialize(uint64_t seed, double glorot_factor, WeightInit init = WeightInit::scikit_learn);

  // out (n_samples, n_outputs) ← the network's output (after the output
  // activation) for every row. Rows are processed in chunks; a row's output
  // does not depend on the chunk it falls in.
  // n_threads ≤ 0 leaves OpenMP's setting (see kernels/thread_count.h).
  void predict(const Dataset& data, float* out, int n_threads = 0) const {
    forward(data, out, n_threads, output_activation_);
  }

  // The output layer's pre-activation z (n_samples, n_outputs), which losses read.
  void predict_pre_activation(const Dataset& data, float* out, int n_threads = 0) const {
    forward(data, out, n_threads, Activation::identity);
  }

 private:
  void forward(const Dataset& data, float* out, int n_threads, Activation last_activation) const;

  std::vector<int> layer_units_;
  std::vector<Activation> hidden_activations_;
  Activation output_activation_;
  float leaky_relu_slope_;
  std::vector<long> weight_offsets_;
  AlignedVector<float> parameters_;
};

}  // namespace fastdnn
