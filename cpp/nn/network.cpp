#include "nn/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/floating_point_mode.h"
#include "kernels/interruption.h"
#include "kernels/reductions.h"
#include "kernels/thread_count.h"
#include "kernels/thread_scratch.h"
#include "nn/hidden_layer.h"

namespace fastdnn {

namespace {

// Multiply-adds (rows × parameters) below which a forward pass runs on the
// calling thread.
constexpr double kSerialForwardWork = 1 << 23;

// The error for a layer int8 cannot quantize, named as the estimator
// publishes its arrays.
std::invalid_argument non_finite_layer(const char* name, int layer) {
  return std::invalid_argument("int8 inference needs finite weights, but " + std::string(name) +
                               "[" + std::to_string(layer) + "] holds NaN or infinity");
}

}  // namespace

Network::Network(std::vector<int> layer_units, std::vector<Activation> hidden_activations,
                 Activation output_activation, float leaky_relu_slope, LayerOptions options)
    : layer_units_(std::move(layer_units)),
      hidden_activations_(std::move(hidden_activations)),
      output_activation_(output_activation),
      leaky_relu_slope_(leaky_relu_slope),
      options_(std::move(options)) {
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
    if (!is_hidden_activation(activation)) {
      throw std::invalid_argument("'" + name_of(activation) +
                                  "' is an output activation, not a hidden one");
    }
  }
  check_options();
  // leaky_relu's backward pass reads the sign of z from y, which needs a slope ≥ 0.
  if (!(leaky_relu_slope_ >= 0.0f && std::isfinite(leaky_relu_slope_))) {
    throw std::invalid_argument("leaky_relu_slope must be finite and >= 0, got " +
                                std::to_string(leaky_relu_slope_));
  }
  long offset = 0;
  long running_offset = 0;
  for (int layer = 0; layer < n_layers(); ++layer) {
    const int units = layer_units_[layer + 1];
    LayerLayout at;
    at.weight = offset;
    at.bias = offset + weight_size(layer);
    offset = at.bias + units;
    if (normalizes(layer)) {
      at.norm_gain = offset;
      at.norm_shift = offset + units;
      offset += 2 * units;
    }
    if (options_.normalization == Normalization::weight) {
      at.weight_norm_gain = offset;
      offset += units;
    }
    if (has_residual(layer) && layer_units_[layer] != units) {
      at.projection = offset;
      offset += weight_size(layer);
    }
    at.end = offset;
    layouts_.push_back(at);
    running_offsets_.push_back(normalizes_over_batch() && layer < n_layers() - 1 ? running_offset
                                                                                 : -1);
    if (running_offsets_.back() >= 0) running_offset += running_statistics_size(units);
  }
  parameters_.assign(offset, 0.0f);
  running_statistics_.assign(running_offset, 0.0f);
  reset_running_statistics();
}

void Network::check_options() const {
  const auto rate_error = [](const std::string& name, float rate) {
    return std::invalid_argument(name + " must be in [0, 1), got " + std::to_string(rate));
  };
  const int n_hidden = n_layers() - 1;
  if (!options_.dropout.empty() && static_cast<int>(options_.dropout.size()) != n_hidden) {
    throw std::invalid_argument("dropout must hold one rate per hidden layer (" +
                                std::to_string(n_hidden) + "), not " +
                                std::to_string(options_.dropout.size()));
  }
  for (float rate : options_.dropout) {
    if (!(rate >= 0.0f && rate < 1.0f)) throw rate_error("dropout", rate);
  }
  if (!(options_.input_dropout >= 0.0f && options_.input_dropout < 1.0f)) {
    throw rate_error("input_dropout", options_.input_dropout);
  }
  if (!(options_.batch_norm_momentum >= 0.0f && options_.batch_norm_momentum <= 1.0f)) {
    throw std::invalid_argument("batch_norm_momentum must be in [0, 1]");
  }
  if (!(options_.norm_epsilon > 0.0f)) throw std::invalid_argument("norm_epsilon must be > 0");
  if (options_.norm_groups < 1) throw std::invalid_argument("norm_groups must be >= 1");
  if (options_.normalization == Normalization::group ||
      options_.normalization == Normalization::decorrelated_batch) {
    for (int layer = 0; layer < n_hidden; ++layer) {
      const int units = layer_units_[layer + 1];
      if (units % options_.norm_groups != 0) {
        throw std::invalid_argument("norm_groups=" + std::to_string(options_.norm_groups) +
                                    " must divide the width of "
                                    "every hidden layer, but hidden layer " +
                                    std::to_string(layer) + " has " + std::to_string(units) +
                                    " units: choose a divisor of each width, or widths that " +
                                    std::to_string(options_.norm_groups) + " divides");
      }
    }
  }
  if (!(options_.input_noise >= 0.0f)) throw std::invalid_argument("input_noise must be >= 0");
  if (!(options_.activity_l1 >= 0.0f)) throw std::invalid_argument("activity_l1 must be >= 0");
}

long Network::running_statistics_size(int units) const {
  // The mean, then batch norm's variances or decorrelated batch norm's m×m
  // matrices.
  return units + (batch_norm() ? units : static_cast<long>(units) * (units / options_.norm_groups));
}

std::pair<long, long> Network::running_statistics_range(int layer) const {
  const long begin = running_offsets_[layer];
  if (begin < 0) return {-1, -1};
  return {begin, begin + running_statistics_size(layer_units_[layer + 1])};
}

void Network::reset_running_statistics() {
  for (int layer = 0; layer < n_layers(); ++layer) {
    if (running_offsets_[layer] < 0) continue;
    const int units = layer_units_[layer + 1];
    float* mean = running_statistics_.data() + running_offsets_[layer];
    std::fill(mean, mean + units, 0.0f);
    if (batch_norm()) {
      std::fill(mean + units, mean + 2 * units, 1.0f);
      continue;
    }
    // Identity whitening matrices.
    const int m = units / options_.norm_groups;
    float* whitening = mean + units;
    std::fill(whitening, whitening + static_cast<long>(units) * m, 0.0f);
    for (int g = 0; g < options_.norm_groups; ++g) {
      for (int k = 0; k < m; ++k) whitening[(static_cast<long>(g) * m + k) * m + k] = 1.0f;
    }
  }
}

void Network::update_running_whitening(int layer, const float* mean, const float* whitening) {
  const int units = layer_units_[layer + 1];
  const long size = static_cast<long>(units) * (units / options_.norm_groups);
  const float momentum = options_.batch_norm_momentum;
  float* running_mean = running_statistics_.data() + running_offsets_[layer];
  float* running_whitening = running_mean + units;
  for (int j = 0; j < units; ++j) {
    running_mean[j] = (1.0f - momentum) * running_mean[j] + momentum * mean[j];
  }
  for (long k = 0; k < size; ++k) {
    running_whitening[k] = (1.0f - momentum) * running_whitening[k] + momentum * whitening[k];
  }
}

void Network::update_running_statistics(int layer, const float* mean, const float* variance,
                                        int rows) {
  const int units = layer_units_[layer + 1];
  const float momentum = options_.batch_norm_momentum;
  const float unbiased = rows > 1 ? static_cast<float>(rows) / static_cast<float>(rows - 1) : 1.0f;
  float* running_mean = running_statistics_.data() + running_offsets_[layer];
  float* running_variance = running_mean + units;
  for (int j = 0; j < units; ++j) {
    running_mean[j] = (1.0f - momentum) * running_mean[j] + momentum * mean[j];
    running_variance[j] =
        (1.0f - momentum) * running_variance[j] + momentum * variance[j] * unbiased;
  }
}

void Network::check_quantized(const QuantizedNetwork& quantized) const {
  bool matches = static_cast<int>(quantized.layers.size()) == n_layers();
  for (int layer = 0; matches && layer < n_layers(); ++layer) {
    const Int8PackedWeights& weight = quantized.layers[layer].weight;
    matches = weight.rows() == layer_units_[layer] && weight.columns() == layer_units_[layer + 1];
  }
  if (!matches) {
    throw std::invalid_argument("the quantized weights were made for a network of another shape");
  }
}

int Network::max_width() const {
  return *std::max_element(layer_units_.begin() + 1, layer_units_.end());
}

void Network::initialize(uint64_t seed, double glorot_factor, WeightInit init, int n_threads) {
  const ThreadCountScope threads(n_threads);
  const EngineFloatingPointMode subnormals_as_zero;
  std::vector<float> unused_bias(max_width());
  for (int layer = 0; layer < n_layers(); ++layer) {
    const int fan_in = layer_units_[layer], units = layer_units_[layer + 1];
    const LayerLayout& at = layouts_[layer];
    float* params = parameters_.data();
    initialize_dense(weight(layer), bias(layer), fan_in, units, init, glorot_factor, seed, layer);
    if (normalizes(layer)) {
      std::fill(params + at.norm_gain, params + at.norm_gain + units, 1.0f);
      std::fill(params + at.norm_shift, params + at.norm_shift + units, 0.0f);
      if (normalizes_over_batch() && !options_.normalize_after_activation) {
        std::fill(bias(layer), bias(layer) + units, 0.0f);
      }
    }
    if (at.weight_norm_gain >= 0) {
      std::vector<float> unit_gain(units, 1.0f), unused_scale(units);
      weight_norm_scales(params + at.weight_norm_gain, unused_scale.data(), weight(layer),
                         unit_gain.data(), fan_in, units);
    }
    if (at.projection >= 0) {
      // Keyed apart from every layer's own weights.
      initialize_dense(params + at.projection, unused_bias.data(), fan_in, units, init,
                       glorot_factor, seed, n_layers() + layer);
    }
  }
  reset_running_statistics();
}

QuantizedNetwork Network::quantize() const {
  QuantizedNetwork quantized;
  std::vector<float> column_norm(max_width()), scale(max_width());
  for (int layer = 0; layer < n_layers(); ++layer) {
    const LayerLayout& at = layouts_[layer];
    const int fan_in = layer_units_[layer], units = layer_units_[layer + 1];
    // Scales come from each unit's largest weight, which a NaN would not be.
    if (!all_finite(weight(layer), static_cast<long>(fan_in) * units)) {
      throw non_finite_layer("coefs_", layer);
    }
    if (!all_finite(bias(layer), units)) throw non_finite_layer("intercepts_", layer);
    const float* column_factor = nullptr;
    if (at.weight_norm_gain >= 0) {
      weight_norm_scales(column_norm.data(), scale.data(), weight(layer),
                         parameters_.data() + at.weight_norm_gain, fan_in, units);
      column_factor = scale.data();
    }
    quantized.layers.push_back(
        quantize_dense(weight(layer), column_factor, bias(layer), fan_in, units));
  }
  return quantized;
}

void Network::predict_layers(const Dataset& data, float* out, int first, int last,
                             int n_threads) const {
  if (first < 0 || last < first || last >= n_layers()) {
    throw std::invalid_argument("no weight layers " + std::to_string(first) + ".." +
                                std::to_string(last) + " in a network of " +
                                std::to_string(n_layers()));
  }
  forward(data, out, n_threads, output_activation_, nullptr, nullptr, first, last);
}

void Network::set_options(LayerOptions options) {
  if (options.normalization != options_.normalization ||
      options.normalize_after_activation != options_.normalize_after_activation ||
      options.residual != options_.residual || options.norm_groups != options_.norm_groups) {
    throw std::invalid_argument(
        "normalization, its groups, its position and residual place parameters and running "
        "statistics in the arena: they cannot change on a built network");
  }
  std::swap(options, options_);
  try {
    check_options();
  } catch (...) {
    std::swap(options, options_);
    throw;
  }
  ++options_version_;
}

void Network::forward(const Dataset& data, float* out, int n_threads, Activation last_activation,
                      const NoiseKey* dropout_key, const QuantizedNetwork* quantized, int first,
                      int last) const {
  if (last < 0) last = n_layers() - 1;
  const int n_in = layer_units_[first];
  const int n_out = layer_units_[last + 1];
  // Outside training the other threads sleep between calls, and waking them
  // costs more than a small pass saves (docs/architecture.md, "Threads on
  // shared machines").
  const bool serial = static_cast<double>(data.n_samples()) * n_parameters() < kSerialForwardWork;
  const ThreadCountScope threads(serial ? 1 : n_threads);
  const EngineFloatingPointMode subnormals_as_zero;
  if (data.n_features() != n_in) {
    throw std::invalid_argument("X has " + std::to_string(data.n_features()) +
                                " features, but the network expects " + std::to_string(n_in));
  }
  if (quantized != nullptr) check_quantized(*quantized);
  // Chunks bound the workspace whatever the number of rows.
  const int chunk_rows = static_cast<int>(std::min<long>(data.n_samples(), 1024));
  if (chunk_rows == 0) return;
  // Per-thread workspaces: serving threads never share one, and a warm caller
  // allocates nothing.
  const size_t layer_floats = static_cast<size_t>(chunk_rows) * max_width();
  const size_t input_floats = static_cast<size_t>(chunk_rows) * n_in;
  float* const input_scratch = thread_scratch(ScratchSlot::forward_input, input_floats);
  float* const ping = thread_scratch(ScratchSlot::forward_ping, layer_floats);
  float* const pong = thread_scratch(ScratchSlot::forward_pong, layer_floats);
  float* const column_scratch =
      thread_scratch(ScratchSlot::forward_columns, 2 * static_cast<size_t>(max_width()));
  const bool drop_inputs = dropout_key != nullptr && first == 0 && options_.input_dropout > 0.0f;
  float* const dropped_inputs =
      drop_inputs ? thread_scratch(ScratchSlot::forward_dropped, input_floats) : nullptr;
  for (long first_row = 0; first_row < data.n_samples(); first_row += chunk_rows) {
    if (first_row > 0) check_interruption();  // the caller then has no output
    const int rows = static_cast<int>(std::min<long>(chunk_rows, data.n_samples() - first_row));
    const float* input = data.contiguous_rows(first_row, rows, input_scratch);
    NoiseKey chunk_key;
    if (dropout_key != nullptr) {
      chunk_key = *dropout_key;
      chunk_key.first_row = first_row;
    }
    if (drop_inputs) {
      std::copy(input, input + static_cast<long>(rows) * n_in, dropped_inputs);
      dropout_forward(dropped_inputs, nullptr, rows, n_inputs(), options_.input_dropout,
                      options_.dropout_kind, chunk_key, 0);
      input = dropped_inputs;
    }
    for (int layer = first; layer <= last; ++layer) {
      float* output = layer == last ? out + first_row * n_out : (layer % 2 == 0 ? ping : pong);
      layer_forward(*this, output, input, layer, rows, last_activation, nullptr,
                    dropout_key != nullptr ? &chunk_key : nullptr, column_scratch, quantized);
      input = output;
    }
  }
}

}  // namespace fastdnn
