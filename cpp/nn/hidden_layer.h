#pragma once

#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/network.h"
#include "nn/quantized_dense.h"

namespace fastdnn {

// A weight layer's forward and, right below it in hidden_layer.cpp, its
// backward, stage by stage as llm.c writes a layer:
//   dense product (activation in the GEMM's epilogue where nothing comes
//   between) → weight norm's scale → normalization (before f) → activation →
//   normalization (after f) → dropout → residual sum.
// The output layer runs through the same two functions: it is the dense
// product, weight norm's scale and its activation, and stops there.

// What a training pass keeps of a hidden layer's forward for its backward;
// a prediction passes none. Buffers the layer's options do not need stay null.
struct LayerTrace {
  float* dense_output = nullptr;       // x·v before weight norm's scale (rows, units)
  float* column_norm = nullptr;        // weight norm ‖v_j‖ (units)
  float* weight_scale = nullptr;       // weight norm g_j/‖v_j‖ (units)
  float* pre_activation = nullptr;     // z, where the activation's backward needs it
  float* activation_output = nullptr;  // f(z), where later stages rewrite the output
  float* normalized = nullptr;         // x̂ (rows, units)
  float* mean = nullptr;               // batch norms (units)
  float* variance = nullptr;           // batch norm (units)
  float* inv_std = nullptr;            // batch norm (units), layer / group norm (rows, groups)
  float* centered = nullptr;           // decorrelated batch norm: x − μ (rows, units)
  float* whitening = nullptr;          // decorrelated batch norm: W (units·m)
  float* eigenvectors = nullptr;       // decorrelated batch norm: U (units·m)
  float* eigenvalues = nullptr;        // decorrelated batch norm: Λ (units)
  float* dropout_scale = nullptr;      // (rows, units)
};

// out (rows, units) ← layer's output for inp (rows, fan_in); out ≠ inp.
// With a trace (training) batch norm uses the batch's statistics and the
// trace keeps what the backward needs; without, its running averages.
// Dropout is applied when dropout_key is not null (training, MC dropout).
// The output layer ends with last_activation. column_scratch (2·units) is
// weight norm's when there is no trace.
// With `quantized` (a prediction only), the layer's product runs in int8.
void layer_forward(const Network& network, float* out, const float* inp, int layer, int rows,
                   Activation last_activation, const LayerTrace* trace, const NoiseKey* dropout_key,
                   float* column_scratch, const QuantizedNetwork* quantized = nullptr);

// What a layer's backward reads besides its arguments: what its forward kept,
// the fusions Backpropagation chose, and scratch it may write.
struct LayerBackwardContext {
  LayerTrace trace;               // the forward's, of this layer
  const float* output = nullptr;  // the layer's output (rows, units)
  // f' of this hidden layer is applied by the layer above's dX GEMM instead
  // of a pass here (Backpropagation decides where that is possible).
  bool derivative_fused = false;
  // The layer below's f', fused into this layer's dX GEMM: identity for none.
  Activation below_activation = Activation::identity;
  const float* below_pre_activation = nullptr;
  // Sample weights (rows) or null, and their sum: activity L1's scale.
  const float* sample_weight = nullptr;
  double weight_sum = 1.0;
  float* skip_delta = nullptr;               // (rows, units): the residual's copy of delta
  float* column_scratch = nullptr;           // (2·units): batch norm's sums, weight norm's dscale
  float* discarded_bias_gradient = nullptr;  // (units): where an unwanted bias gradient lands
};

// delta (rows, units) holds ∂L/∂(layer's output) from the layer above (or the
// loss); a hidden layer first adds activity L1's gradient to it. Adds the
// layer's parameter gradients to gradient (the arena's layout; the weight
// matrix's with weight_gradient_beta, 0 to overwrite) and, unless
// input_delta is null (layer 0), writes ∂L/∂(its input) there. delta is
// overwritten.
void layer_backward(const Network& network, const LayerBackwardContext& context, float* gradient,
                    float* input_delta, float* delta, const float* input, int layer, int rows,
                    float weight_gradient_beta);

}  // namespace fastdnn
