#include "train/backpropagation.h"

#include <algorithm>
#include <stdexcept>

#include "nn/distillation.h"
#include "train/regularization.h"

namespace fastdnn {

namespace {

float* data_or_null(AlignedVector<float>& buffer) {
  return buffer.empty() ? nullptr : buffer.data();
}

}  // namespace

LayerTrace Backpropagation::LayerWorkspace::trace() {
  LayerTrace trace;
  trace.dense_output = data_or_null(dense_output);
  trace.column_norm = data_or_null(column_norm);
  trace.weight_scale = data_or_null(weight_scale);
  trace.pre_activation = data_or_null(pre_activation);
  trace.activation_output = data_or_null(activation_output);
  trace.normalized = data_or_null(normalized);
  trace.mean = data_or_null(mean);
  trace.variance = data_or_null(variance);
  trace.inv_std = data_or_null(inv_std);
  trace.centered = data_or_null(centered);
  trace.whitening = data_or_null(whitening_matrices);
  trace.eigenvectors = data_or_null(eigenvectors);
  trace.eigenvalues = data_or_null(eigenvalues);
  trace.dropout_scale = data_or_null(dropout_scale);
  return trace;
}

Backpropagation::Backpropagation(const Network& network, Loss loss)
    : loss_(loss),
      layer_units_(network.layer_units()),
      norm_groups_(network.norm_groups()),
      hidden_activations_(network.hidden_activations()) {
  if (output_activation_for(loss) != network.output_activation()) {
    throw std::invalid_argument("loss and the network's output activation do not pair");
  }
  const LayerOptions& options = network.options();
  noisy_inputs_needed_ = options.input_dropout > 0.0f || options.input_noise > 0.0f;
  layers_.resize(network.n_layers());
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    LayerWorkspace& workspace = layers_[layer];
    const bool hidden = layer + 1 < network.n_layers();
    workspace.weight_norm = options.normalization == Normalization::weight;
    workspace.normalized_kept = network.normalizes(layer);
    workspace.batch_statistics = workspace.normalized_kept && network.batch_norm();
    workspace.whitening = workspace.normalized_kept && network.decorrelated_batch_norm();
    workspace.dropout = network.dropout_rate(layer) > 0.0f;
    workspace.pre_activation_kept =
        hidden && activation_backward_needs_pre_activation(hidden_activations_[layer]);
    // f(z) is the layer's output unless a later stage rewrites it.
    workspace.activation_output_kept =
        hidden && ((workspace.normalized_kept && options.normalize_after_activation) ||
                   workspace.dropout || network.has_residual(layer));
    workspace.derivative_fused = hidden && !workspace.activation_output_kept &&
                                 !workspace.normalized_kept && options.activity_l1 == 0.0f &&
                                 !network.has_residual(layer + 1);
  }
}

void Backpropagation::reserve(int rows) {
  if (rows <= capacity_) return;
  capacity_ = rows;
  int max_width = 0;
  const auto size_if = [](AlignedVector<float>& buffer, bool needed, size_t size) {
    if (needed) buffer.assign(size, 0.0f);
  };
  for (size_t layer = 0; layer < layers_.size(); ++layer) {
    LayerWorkspace& workspace = layers_[layer];
    const int units = layer_units_[layer + 1];
    const size_t size = static_cast<size_t>(rows) * units;
    const size_t matrices = static_cast<size_t>(units) * (units / norm_groups_);
    workspace.output.assign(size, 0.0f);
    size_if(workspace.dense_output, workspace.weight_norm, size);
    size_if(workspace.column_norm, workspace.weight_norm, units);
    size_if(workspace.weight_scale, workspace.weight_norm, units);
    size_if(workspace.pre_activation, workspace.pre_activation_kept, size);
    size_if(workspace.activation_output, workspace.activation_output_kept, size);
    size_if(workspace.normalized, workspace.normalized_kept, size);
    size_if(workspace.mean, workspace.batch_statistics || workspace.whitening, units);
    size_if(workspace.variance, workspace.batch_statistics, units);
    // Batch norm's per unit; layer and group norm's per row and group.
    size_if(workspace.inv_std, workspace.normalized_kept && !workspace.whitening,
            workspace.batch_statistics ? units : static_cast<size_t>(rows) * norm_groups_);
    size_if(workspace.centered, workspace.whitening, size);
    size_if(workspace.whitening_matrices, workspace.whitening, matrices);
    size_if(workspace.eigenvectors, workspace.whitening, matrices);
    size_if(workspace.eigenvalues, workspace.whitening, units);
    size_if(workspace.dropout_scale, workspace.dropout, size);
    max_width = std::max(max_width, units);
  }
  size_if(noisy_inputs_, noisy_inputs_needed_, static_cast<size_t>(rows) * layer_units_[0]);
  delta_.assign(static_cast<size_t>(rows) * max_width, 0.0f);
  delta_next_.assign(delta_.size(), 0.0f);
  skip_delta_.assign(delta_.size(), 0.0f);
  column_scratch_.assign(2 * static_cast<size_t>(max_width), 0.0f);
  discarded_bias_gradient_.assign(max_width, 0.0f);
}

double Backpropagation::accumulate_gradient(const Network& network, float* gradient,
                                            const float* inputs, const float* targets,
                                            const float* sample_weight, int rows, double weight_sum,
                                            const NoiseKey& noise, WeightGradients weight_gradients,
                                            const LossTerms& terms) {
  if (rows > capacity_) throw std::logic_error("Backpropagation workspace too small");
  const int n_layers = network.n_layers();
  const LayerOptions& options = network.options();
  const float* layer_input = inputs;
  if (noisy_inputs_needed_) {
    std::copy(inputs, inputs + static_cast<long>(rows) * network.n_inputs(), noisy_inputs_.data());
    if (options.input_noise > 0.0f) {
      gaussian_noise_forward(noisy_inputs_.data(), rows, network.n_inputs(), options.input_noise,
                             noise);
    }
    if (options.input_dropout > 0.0f) {
      dropout_forward(noisy_inputs_.data(), nullptr, rows, network.n_inputs(),
                      options.input_dropout, options.dropout_kind, noise, 0);
    }
    layer_input = noisy_inputs_.data();
  }
  const float* first_input = layer_input;
  for (int layer = 0; layer < n_layers; ++layer) {
    // The output layer stays a pre-activation: the loss reads z directly.
    const LayerTrace trace = layers_[layer].trace();
    layer_forward(network, layers_[layer].output.data(), layer_input, layer, rows,
                  Activation::identity, &trace, &noise, nullptr);
    layer_input = layers_[layer].output.data();
  }
  last_rows_ = rows;
  const float* logits = layers_[n_layers - 1].output.data();
  const int n_outputs = layer_units_[n_layers];
  double loss = loss_forward_backward(delta_.data(), logits, targets, sample_weight, rows,
                                      n_outputs, loss_, weight_sum, terms.label_smoothing);
  if (terms.teacher_logits != nullptr) {
    loss = distillation_forward_backward(delta_.data(), logits, terms.teacher_logits, sample_weight,
                                         rows, n_outputs, loss_, weight_sum, loss,
                                         terms.distillation_weight, terms.distillation_temperature);
  }
  if (options.activity_l1 > 0.0f) {
    for (int layer = 0; layer + 1 < n_layers; ++layer) {
      loss =
          add_activity_l1_penalty(loss, layers_[layer].output.data(), rows, layer_units_[layer + 1],
                                  sample_weight, options.activity_l1, weight_sum);
    }
  }
  for (int layer = n_layers - 1; layer >= 0; --layer) {
    const float* input = layer == 0 ? first_input : layers_[layer - 1].output.data();
    float* input_delta = layer == 0 ? nullptr : delta_next_.data();
    LayerBackwardContext context;
    context.trace = layers_[layer].trace();
    context.output = layers_[layer].output.data();
    context.derivative_fused = layers_[layer].derivative_fused;
    // The layer below's f', where it is fused into this layer's dX GEMM.
    if (layer > 0 && layers_[layer - 1].derivative_fused) {
      context.below_activation = hidden_activations_[layer - 1];
      context.below_pre_activation = data_or_null(layers_[layer - 1].pre_activation);
    }
    context.sample_weight = sample_weight;
    context.weight_sum = weight_sum;
    context.skip_delta = skip_delta_.data();
    context.column_scratch = column_scratch_.data();
    context.discarded_bias_gradient = discarded_bias_gradient_.data();
    layer_backward(network, context, gradient, input_delta, delta_.data(), input, layer, rows,
                   weight_gradients == WeightGradients::overwrite ? 0.0f : 1.0f);
    if (layer > 0) std::swap(delta_, delta_next_);
  }
  return loss;
}

void Backpropagation::update_running_statistics(Network& network) const {
  if (!network.normalizes_over_batch()) return;
  for (int layer = 0; layer + 1 < network.n_layers(); ++layer) {
    if (network.batch_norm()) {
      network.update_running_statistics(layer, layers_[layer].mean.data(),
                                        layers_[layer].variance.data(), last_rows_);
    } else if (network.decorrelated_batch_norm()) {
      network.update_running_whitening(layer, layers_[layer].mean.data(),
                                       layers_[layer].whitening_matrices.data());
    }
  }
}

}  // namespace fastdnn
