#pragma once

#include <vector>

#include "kernels/aligned_buffer.h"
#include "nn/loss.h"
#include "nn/network.h"

namespace fastdnn {

// The workspace of one forward and backward pass over at most `capacity`
// rows: every layer's activations and two delta buffers. Sized once (per fit,
// for the largest batch) so that nothing is allocated per minibatch.
class Backpropagation {
 public:
  Backpropagation(const Network& network, Loss loss);

  // Grows the workspace to hold `rows` rows; a no-op when it already does.
  void reserve(int rows);

  // Adds to gradient (the arena's layout) the gradient of
  // Σ_i w_i · loss_i / weight_sum over these rows and returns that sum.
  // inputs (rows, n_inputs), targets (rows, n_outputs), sample_weight (rows) or null.
  // Hidden layer `layer`'s outputs (rows, units) from the last call.
  const float* activations(int layer) const { return activations_[layer].data(); }

  double accumulate_gradient(const Network& network, float* gradient, const float* inputs,
                             const float* targets, const float* sample_weight, int rows,
                             double weight_sum);

 private:
  Loss loss_;
  int capacity_ = 0;
  std::vector<int> layer_units_;
  std::vector<AlignedVector<float>> activations_;  // layer l's output, l = 1..n_layers
  // Layer l's pre-activation, kept only where its derivative needs it.
  std::vector<AlignedVector<float>> pre_activations_;
  std::vector<Activation> hidden_activations_;
  AlignedVector<float> delta_;
  AlignedVector<float> delta_next_;
};

}  // namespace fastdnn
