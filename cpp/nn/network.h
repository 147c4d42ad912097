#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "kernels/aligned_buffer.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/initialization.h"
#include "nn/normalization.h"
#include "nn/quantized_dense.h"

namespace fastdnn {

// The training toolkit's choices for the hidden layers. Defaults give a plain
// MLP, bit-identical to scikit-learn's forward.
struct LayerOptions {
  Normalization normalization = Normalization::none;
  bool normalize_after_activation = false;  // batch / layer norm: after f, not before
  float batch_norm_momentum = 0.1f;         // running ← (1−m)·running + m·batch
  float norm_epsilon = 1e-5f;
  int norm_groups = 4;  // group / decorrelated batch norm: groups of each hidden layer's units
  std::vector<float> dropout;  // one rate per hidden layer, or empty for none
  float input_dropout = 0.0f;
  DropoutKind dropout_kind = DropoutKind::bernoulli;
  float input_noise = 0.0f;  // std of the Gaussian noise added to inputs in training
  float activity_l1 = 0.0f;  // L1 penalty on the hidden layers' outputs, per sample
  bool residual = false;     // skip connections between consecutive hidden layers

  // Every field under its own name: the bindings build the options from a
  // mapping of these names and hand them back as one, so adding a field
  // here is all it takes to reach it from Python.
  template <class Visit>
  static void for_each_field(Visit&& visit) {
    visit("normalization", &LayerOptions::normalization);
    visit("normalize_after_activation", &LayerOptions::normalize_after_activation);
    visit("batch_norm_momentum", &LayerOptions::batch_norm_momentum);
    visit("norm_epsilon", &LayerOptions::norm_epsilon);
    visit("norm_groups", &LayerOptions::norm_groups);
    visit("dropout", &LayerOptions::dropout);
    visit("input_dropout", &LayerOptions::input_dropout);
    visit("dropout_kind", &LayerOptions::dropout_kind);
    visit("input_noise", &LayerOptions::input_noise);
    visit("activity_l1", &LayerOptions::activity_l1);
    visit("residual", &LayerOptions::residual);
  }
};

// Where a layer's parameters sit in the arena, in this order inside the
// layer's range [weight, end); −1 where the layer has no such block.
struct LayerLayout {
  long weight;
  long bias;
  long norm_gain = -1;         // batch / layer norm γ (units)
  long norm_shift = -1;        // batch / layer norm β (units)
  long weight_norm_gain = -1;  // weight norm g (units)
  long projection = -1;        // residual projection (fan_in, units) where widths differ
  long end;
};

// A fully connected network: layer_units = [n_features, hidden..., n_outputs].
// Every trainable parameter lives in one flat arena, laid out as
// weight 0 (units[0],units[1]), bias 0 (units[1]), weight 1, bias 1, ...
// so an optimizer step, clipping, averaging, snapshotting the best weights and
// serialisation are each one loop over one buffer. A layer's other parameters
// (normalization gains and shifts, weight norm's g, a residual projection)
// follow its bias inside its range [weight_offset(l), weight_offset(l+1)).
// With batch norm before the activation the bias is redundant (the mean
// subtraction cancels it): it stays in the arena, at zero, with zero gradient. The arena is sized
// once and never reallocated: views into it (numpy's coefs_) stay valid.
class Network {
 public:
  // hidden_activations holds one activation per hidden layer.
  Network(std::vector<int> layer_units, std::vector<Activation> hidden_activations,
          Activation output_activation, float leaky_relu_slope = 0.01f, LayerOptions options = {});

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
  const LayerOptions& options() const { return options_; }
  const LayerLayout& layout(int layer) const { return layouts_[layer]; }
  bool batch_norm() const { return options_.normalization == Normalization::batch; }
  bool decorrelated_batch_norm() const {
    return options_.normalization == Normalization::decorrelated_batch;
  }
  // Whether the normalization takes statistics over the batch's rows (and
  // keeps running averages of them for prediction).
  bool normalizes_over_batch() const { return batch_norm() || decorrelated_batch_norm(); }
  // Whether hidden layer `layer` normalises with batch, layer, group or
  // decorrelated batch norm (a gain and a shift per unit).
  bool normalizes(int layer) const {
    return layer < n_layers() - 1 && options_.normalization != Normalization::none &&
           options_.normalization != Normalization::weight;
  }
  // The groups of units a layer or group norm normalises (layer norm's one).
  int norm_groups() const {
    return options_.normalization == Normalization::layer ? 1 : options_.norm_groups;
  }
  bool has_residual(int layer) const {
    return options_.residual && layer > 0 && layer < n_layers() - 1;
  }
  float dropout_rate(int layer) const {
    return layer < n_layers() - 1 && !options_.dropout.empty() ? options_.dropout[layer] : 0.0f;
  }

  long n_parameters() const { return static_cast<long>(parameters_.size()); }
  float* parameters() { return parameters_.data(); }
  const float* parameters() const { return parameters_.data(); }
  long weight_offset(int layer) const { return layouts_[layer].weight; }
  long bias_offset(int layer) const { return layouts_[layer].bias; }
  long weight_size(int layer) const {
    return static_cast<long>(layer_units_[layer]) * layer_units_[layer + 1];
  }
  float* weight(int layer) { return parameters_.data() + weight_offset(layer); }
  const float* weight(int layer) const { return parameters_.data() + weight_offset(layer); }
  float* bias(int layer) { return parameters_.data() + bias_offset(layer); }
  const float* bias(int layer) const { return parameters_.data() + bias_offset(layer); }

  // Non-trainable state, per hidden layer in layer order: batch norm's running
  // mean then running variance (units each); decorrelated batch norm's running
  // mean (units) then running whitening matrices (norm_groups of m×m, m =
  // units/norm_groups); empty for the other normalizations.
  long n_running_statistics() const { return static_cast<long>(running_statistics_.size()); }
  float* running_statistics() { return running_statistics_.data(); }
  // [begin, end) of weight layer `layer`'s part of running_statistics();
  // {-1, -1} where it keeps none.
  std::pair<long, long> running_statistics_range(int layer) const;
  const float* running_mean(int layer) const {
    return running_statistics_.data() + running_offsets_[layer];
  }
  const float* running_variance(int layer) const {
    return running_mean(layer) + layer_units_[layer + 1];
  }
  const float* running_whitening(int layer) const { return running_variance(layer); }
  // Moves layer's running averages towards a training batch's (biased)
  // statistics over `rows` rows; the variance is corrected to unbiased.
  void update_running_statistics(int layer, const float* mean, const float* variance, int rows);
  // Decorrelated batch norm: moves layer's running mean and whitening
  // matrices towards a training batch's.
  void update_running_whitening(int layer, const float* mean, const float* whitening);

  // Weights, biases and residual projections by `init` (nn/initialization.h;
  // glorot_factor is scikit-learn's factor, read only by WeightInit::scikit_learn);
  // normalization gains 1 and shifts 0; weight norm's g = ‖v_j‖, so the
  // effective weights start as the initial ones. On n_threads threads (0: OpenMP's
  // setting); the weights never depend on it.
  void initialize(uint64_t seed, double glorot_factor, WeightInit init = WeightInit::scikit_learn,
                  int n_threads = 0);

  // out (n_samples, n_outputs) ← the network's output (after the output
  // activation) for every row. Rows are processed in chunks; a row's output
  // does not depend on the chunk it falls in.
  // n_threads ≤ 0 leaves OpenMP's setting (see kernels/thread_count.h).
  // With `quantized` (from quantize(), of this network's shape), every weight
  // layer's product runs in int8; normalization, activations and residual
  // sums stay float32.
  void predict(const Dataset& data, float* out, int n_threads = 0,
               const QuantizedNetwork* quantized = nullptr) const {
    forward(data, out, n_threads, output_activation_, nullptr, quantized);
  }

  // out (n_samples, units after weight layer `last`) ← the output of weight
  // layers first..last in prediction mode (batch norm's running averages, no
  // dropout) for rows that are weight layer `first`'s input: the network's
  // inputs when first is 0, hidden layer first−1's outputs otherwise. A hidden
  // layer's output is after its activation, normalization and residual sum;
  // the output layer's after the output activation. As predict, a row's
  // output does not depend on the rows beside it.
  void predict_layers(const Dataset& data, float* out, int first, int last,
                      int n_threads = 0) const;

  // Replaces the options, which may change every field but those that place
  // parameters in the arena (normalization, its position, residual): the
  // per-epoch values of an annealed rate. A Trainer rebuilds its workspace
  // on its next epoch (options_version counts the changes).
  void set_options(LayerOptions options);
  long options_version() const { return options_version_; }

  // The weight layers as int8 (weight norm's scale folded in): a snapshot,
  // which later edits of the arena do not reach. Residual projections stay
  // float32.
  QuantizedNetwork quantize() const;

  // One stochastic pass of MC dropout: predict with the dropout masks that
  // `key` draws (batch norm keeps its running averages).
  void predict_with_dropout(const Dataset& data, float* out, const NoiseKey& key,
                            int n_threads = 0) const {
    forward(data, out, n_threads, output_activation_, &key);
  }

  // The output layer's pre-activation z (n_samples, n_outputs), which losses
  // read, and from which a float64 model's outputs are made in double
  // (nn/output_activation.h); `quantized` as for predict.
  void predict_pre_activation(const Dataset& data, float* out, int n_threads = 0,
                              const QuantizedNetwork* quantized = nullptr) const {
    forward(data, out, n_threads, Activation::identity, nullptr, quantized);
  }

 private:
  // Weight layers first..last (all by default) of the network.
  void forward(const Dataset& data, float* out, int n_threads, Activation last_activation,
               const NoiseKey* dropout_key, const QuantizedNetwork* quantized = nullptr,
               int first = 0, int last = -1) const;
  void check_options() const;
  void check_quantized(const QuantizedNetwork& quantized) const;
  void reset_running_statistics();

  std::vector<int> layer_units_;
  std::vector<Activation> hidden_activations_;
  Activation output_activation_;
  float leaky_relu_slope_;
  LayerOptions options_;
  long options_version_ = 0;
  std::vector<LayerLayout> layouts_;
  AlignedVector<float> parameters_;
  std::vector<long> running_offsets_;
  AlignedVector<float> running_statistics_;

  // The running statistics a hidden layer of `units` units keeps.
  long running_statistics_size(int units) const;
};

}  // namespace fastdnn
