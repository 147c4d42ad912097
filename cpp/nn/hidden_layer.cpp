#include "nn/hidden_layer.h"

#include <algorithm>

#include "kernels/matrix_precision.h"
#include "nn/decorrelated_batch_norm.h"
#include "nn/dense.h"
#include "nn/group_norm.h"
#include "nn/normalization.h"
#include "train/regularization.h"

namespace fastdnn {

namespace {

// x (rows, units) ← layer's normalization of x, in place.
void normalize_forward(const Network& network, float* x, int layer, int rows,
                       const LayerTrace* trace) {
  const int units = network.layer_units()[layer + 1];
  const LayerLayout& at = network.layout(layer);
  const float* gain = network.parameters() + at.norm_gain;
  const float* shift = network.parameters() + at.norm_shift;
  const float epsilon = network.options().norm_epsilon;
  const int groups = network.norm_groups();
  if (!network.normalizes_over_batch()) {  // layer or group norm: each row alone
    group_norm_forward(x, trace != nullptr ? trace->normalized : nullptr,
                       trace != nullptr ? trace->inv_std : nullptr, x, gain, shift, rows, units,
                       groups, epsilon);
  } else if (network.decorrelated_batch_norm() && trace != nullptr) {
    decorrelated_batch_norm_forward(x, trace->normalized, trace->centered, trace->mean,
                                    trace->whitening, trace->eigenvectors, trace->eigenvalues, x,
                                    gain, shift, rows, units, groups, epsilon);
  } else if (network.decorrelated_batch_norm()) {
    decorrelated_batch_norm_inference(x, x, gain, shift, network.running_mean(layer),
                                      network.running_whitening(layer), rows, units, groups);
  } else if (trace != nullptr) {
    batch_norm_forward(x, trace->normalized, trace->mean, trace->variance, trace->inv_std, x, gain,
                       shift, rows, units, epsilon);
  } else {
    batch_norm_inference(x, x, gain, shift, network.running_mean(layer),
                         network.running_variance(layer), rows, units, epsilon);
  }
}

// delta (rows, units) ← ∂L/∂(the normalization's input), in place; adds the
// gain's and shift's gradients.
void normalize_backward(const Network& network, const LayerBackwardContext& context,
                        float* gradient, float* delta, int layer, int rows) {
  const int units = network.layer_units()[layer + 1];
  const LayerLayout& at = network.layout(layer);
  float* dgain = gradient + at.norm_gain;
  float* dshift = gradient + at.norm_shift;
  const float* gain = network.parameters() + at.norm_gain;
  const LayerTrace& trace = context.trace;
  if (network.batch_norm()) {
    batch_norm_backward(delta, dgain, dshift, context.column_scratch, delta, trace.normalized,
                        trace.inv_std, gain, rows, units);
  } else if (network.decorrelated_batch_norm()) {
    decorrelated_batch_norm_backward(delta, dgain, dshift, delta, trace.normalized, trace.centered,
                                     trace.whitening, trace.eigenvectors, trace.eigenvalues, gain,
                                     rows, units, network.norm_groups());
  } else {
    group_norm_backward(delta, dgain, dshift, delta, trace.normalized, trace.inv_std, gain, rows,
                        units, network.norm_groups());
  }
}

}  // namespace

void layer_forward(const Network& network, float* out, const float* inp, int layer, int rows,
                   Activation last_activation, const LayerTrace* trace, const NoiseKey* dropout_key,
                   float* column_scratch, const QuantizedNetwork* quantized) {
  const LayerLayout& at = network.layout(layer);
  const LayerOptions& options = network.options();
  const int fan_in = network.layer_units()[layer], units = network.layer_units()[layer + 1];
  const long size = static_cast<long>(rows) * units;
  const bool last = layer == network.n_layers() - 1;
  const bool normalize = !last && network.normalizes(layer);
  const Activation activation = last ? last_activation : network.hidden_activations()[layer];
  const float slope = network.leaky_relu_slope();
  // The activation runs inside the GEMM's epilogue unless weight norm's scale
  // or a normalization comes between the product and it, or the product is int8.
  const bool fused = quantized == nullptr && at.weight_norm_gain < 0 &&
                     !(normalize && !options.normalize_after_activation);
  // Dense product, with weight norm's scale.
  if (quantized != nullptr) {
    quantized_dense_forward(out, inp, quantized->layers[layer], rows);
  } else if (at.weight_norm_gain >= 0) {
    float* column_norm = trace != nullptr ? trace->column_norm : column_scratch;
    float* scale = trace != nullptr ? trace->weight_scale : column_scratch + units;
    weight_norm_scales(column_norm, scale, network.weight(layer),
                       network.parameters() + at.weight_norm_gain, fan_in, units);
    matrix_product(false, false, rows, units, fan_in, inp, fan_in, network.weight(layer), units,
                   0.0f, out, units);
    if (trace != nullptr) std::copy(out, out + size, trace->dense_output);
    weight_norm_forward(out, scale, network.bias(layer), rows, units);
  } else {
    float* pre_activation = fused && trace != nullptr ? trace->pre_activation : nullptr;
    dense_forward(out, pre_activation, inp, network.weight(layer), network.bias(layer), rows,
                  fan_in, units, fused ? activation : Activation::identity, slope);
  }
  // Normalization before the activation, and the activation.
  if (!fused) {
    if (normalize && !options.normalize_after_activation) {
      normalize_forward(network, out, layer, rows, trace);
    }
    if (!last && trace != nullptr && trace->pre_activation != nullptr) {
      std::copy(out, out + size, trace->pre_activation);
    }
    activation_forward(out, rows, units, activation, slope);
  }
  if (last) return;
  if (trace != nullptr && trace->activation_output != nullptr) {
    std::copy(out, out + size, trace->activation_output);
  }
  // Normalization after the activation.
  if (normalize && options.normalize_after_activation) {
    normalize_forward(network, out, layer, rows, trace);
  }
  // Dropout.
  if (dropout_key != nullptr && network.dropout_rate(layer) > 0.0f) {
    dropout_forward(out, trace != nullptr ? trace->dropout_scale : nullptr, rows, units,
                    network.dropout_rate(layer), options.dropout_kind, *dropout_key,
                    static_cast<uint32_t>(layer + 1));
  }
  // Residual sum: the input itself, or its projection where widths differ.
  if (network.has_residual(layer)) {
    if (at.projection >= 0) {
      matrix_product(false, false, rows, units, fan_in, inp, fan_in,
                     network.parameters() + at.projection, units, 1.0f, out, units);
    } else {
      for (long i = 0; i < size; ++i) out[i] += inp[i];
    }
  }
}

void layer_backward(const Network& network, const LayerBackwardContext& context, float* gradient,
                    float* input_delta, float* delta, const float* input, int layer, int rows,
                    float weight_gradient_beta) {
  const LayerTrace& trace = context.trace;
  const LayerLayout& at = network.layout(layer);
  const LayerOptions& options = network.options();
  const int fan_in = network.layer_units()[layer], units = network.layer_units()[layer + 1];
  const long size = static_cast<long>(rows) * units;
  const bool hidden = layer + 1 < network.n_layers();
  // Activity L1 on the layer's output joins delta before anything reads it.
  if (hidden && options.activity_l1 > 0.0f) {
    add_activity_l1_gradient(delta, context.output, rows, units, context.sample_weight,
                             options.activity_l1, context.weight_sum);
  }
  // Residual sum: its skip path keeps delta as it stands.
  const bool residual = network.has_residual(layer);
  if (residual) std::copy(delta, delta + size, context.skip_delta);
  if (hidden) {
    const bool normalize = network.normalizes(layer);
    // Dropout.
    if (trace.dropout_scale != nullptr) dropout_backward(delta, trace.dropout_scale, size);
    // Normalization after the activation.
    if (normalize && options.normalize_after_activation) {
      normalize_backward(network, context, gradient, delta, layer, rows);
    }
    // Activation.
    if (!context.derivative_fused) {
      activation_backward(
          delta, trace.pre_activation,
          trace.activation_output != nullptr ? trace.activation_output : context.output, size,
          network.hidden_activations()[layer], network.leaky_relu_slope());
    }
    // Normalization before the activation.
    if (normalize && !options.normalize_after_activation) {
      normalize_backward(network, context, gradient, delta, layer, rows);
    }
  }
  // Dense product, with weight norm's scale. Batch norm before the activation
  // cancels the bias: its gradient is dropped. dense_backward always sums a
  // bias gradient; where it is not wanted it lands in the discarded buffer,
  // which nothing reads, so it needs no zeroing.
  const bool bias_cancelled =
      hidden && network.normalizes_over_batch() && !options.normalize_after_activation;
  float* bias_gradient =
      bias_cancelled ? context.discarded_bias_gradient : gradient + network.bias_offset(layer);
  if (at.weight_norm_gain >= 0) {
    // z = scale ⊙ u + b with u = x·v: the bias sees delta, v sees scale ⊙ delta,
    // and the scale's own gradient Σ delta ⊙ u flows into g and v.
    float* dscale = context.column_scratch;
    std::fill(dscale, dscale + units, 0.0f);
    const float* scale = trace.weight_scale;
    for (int i = 0; i < rows; ++i) {
      const long base = static_cast<long>(i) * units;
      for (int j = 0; j < units; ++j) {
        bias_gradient[j] += delta[base + j];
        dscale[j] += delta[base + j] * trace.dense_output[base + j];
        delta[base + j] *= scale[j];
      }
    }
    // Weight norm's bias gradient is the unscaled sum above.
    dense_backward(input_delta, gradient + at.weight, weight_gradient_beta,
                   context.discarded_bias_gradient, delta, input, context.below_pre_activation,
                   network.weight(layer), rows, fan_in, units, context.below_activation,
                   network.leaky_relu_slope());
    weight_norm_backward(gradient + at.weight, gradient + at.weight_norm_gain, dscale,
                         network.weight(layer), network.parameters() + at.weight_norm_gain,
                         trace.column_norm, fan_in, units);
  } else {
    dense_backward(input_delta, gradient + at.weight, weight_gradient_beta, bias_gradient, delta,
                   input, context.below_pre_activation, network.weight(layer), rows, fan_in, units,
                   context.below_activation, network.leaky_relu_slope());
  }
  // Residual sum: the skip path's delta joins the input's.
  if (residual) {
    const float* skip = context.skip_delta;
    if (at.projection >= 0) {
      matrix_product(true, false, fan_in, units, rows, input, fan_in, skip, units, 1.0f,
                     gradient + at.projection, units);
      matrix_product(false, true, rows, fan_in, units, skip, units,
                     network.parameters() + at.projection, units, 1.0f, input_delta, fan_in);
    } else {
      for (long i = 0; i < size; ++i) input_delta[i] += skip[i];
    }
  }
}

}  // namespace fastdnn
