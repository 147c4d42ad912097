#pragma once

#include <vector>

#include "kernels/aligned_buffer.h"
#include "nn/dropout.h"
#include "nn/hidden_layer.h"
#include "nn/loss.h"
#include "nn/network.h"

namespace fastdnn {

// The workspace of one forward and backward pass over at most `capacity`
// rows: every layer's outputs, what its normalization, dropout and activation
// need for the backward, and two delta buffers. Sized once (per fit, for the
// largest batch) so that nothing is allocated per minibatch.
class Backpropagation {
 public:
  Backpropagation(const Network& network, Loss loss);

  // Grows the workspace to hold `rows` rows; a no-op when it already does.
  void reserve(int rows);

  // Hidden layer `layer`'s outputs (rows, units) from the last call.
  const float* activations(int layer) const { return layers_[layer].output.data(); }

  // Adds to gradient (the arena's layout) the gradient of
  // Σ_i w_i · loss_i / weight_sum over these rows, plus activity_l1's penalty,
  // and returns that sum; with WeightGradients::overwrite the dense layers'
  // weight matrices get it written over whatever they held, and only the rest
  // (biases, normalization parameters) is added to. Training mode: batch norm
  // uses these rows' statistics; dropout and input noise draw from `noise`.
  // inputs (rows, n_inputs), targets (rows, n_outputs), sample_weight (rows) or null.
  // terms: label smoothing and the teacher's logits of these rows (nn/loss.h).
  enum class WeightGradients { add, overwrite };
  double accumulate_gradient(const Network& network, float* gradient, const float* inputs,
                             const float* targets, const float* sample_weight, int rows,
                             double weight_sum, const NoiseKey& noise = {},
                             WeightGradients weight_gradients = WeightGradients::add,
                             const LossTerms& terms = {});

  // Moves the network's batch norm running averages towards the statistics
  // of the last call's batch (once per optimizer step).
  void update_running_statistics(Network& network) const;

 private:
  // A layer's forward buffers; those its options do not need stay empty.
  struct LayerWorkspace {
    // Which buffers the layer needs, fixed by the network's options.
    bool weight_norm = false, pre_activation_kept = false, activation_output_kept = false,
         normalized_kept = false, batch_statistics = false, whitening = false, dropout = false;
    // f'(z) of this hidden layer is applied by the next layer's dX GEMM as it
    // produces the delta, not by a pass of its own: possible where the delta
    // reaches f(z) untouched (no dropout, normalization, residual or activity L1).
    bool derivative_fused = false;
    AlignedVector<float> output;  // the layer's output (rows, units)
    AlignedVector<float> dense_output, column_norm, weight_scale, pre_activation, activation_output,
        normalized, mean, variance, inv_std, centered, whitening_matrices, eigenvectors,
        eigenvalues, dropout_scale;
    LayerTrace trace();
  };

  Loss loss_;
  int capacity_ = 0;
  int last_rows_ = 0;
  bool noisy_inputs_needed_ = false;
  std::vector<int> layer_units_;
  int norm_groups_;
  std::vector<LayerWorkspace> layers_;
  std::vector<Activation> hidden_activations_;
  AlignedVector<float> noisy_inputs_;  // inputs after input dropout / noise
  AlignedVector<float> delta_;
  AlignedVector<float> delta_next_;
  AlignedVector<float> skip_delta_;      // ∂L/∂output kept for a residual's skip path
  AlignedVector<float> column_scratch_;  // batch norm sums, weight norm's dscale
  AlignedVector<float> discarded_bias_gradient_;
};

}  // namespace fastdnn
