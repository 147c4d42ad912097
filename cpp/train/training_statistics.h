#pragma once

#include <cstdint>
#include <vector>

#include "kernels/aligned_buffer.h"
#include "nn/activation.h"
#include "nn/network.h"

namespace fastdnn {

// What one hidden layer did during an epoch, summed over its minibatches.
struct LayerStatistics {
  double activation_sum = 0.0;
  double activation_square_sum = 0.0;
  long activation_count = 0;
  // Outputs where the activation's derivative (nearly) vanishes: relu at 0,
  // logistic outside [0.01, 0.99], tanh beyond ±0.99.
  long saturated_count = 0;
  // Per unit: whether any sample of the epoch gave it a non-zero output; a
  // unit never active is dead (for relu: it receives no gradient at all).
  AlignedVector<uint8_t> unit_active;
  // Σ over steps of ‖∂loss/∂W‖ for this layer's weights.
  double gradient_norm_sum = 0.0;
};

// Training diagnostics of one epoch, gathered by the trainer at the cost of
// one pass over each batch's activations and one over the gradient: the raw
// sums from which history_ reports means, standard deviations and fractions.
class TrainingStatistics {
 public:
  void reset(const Network& network);

  // activations (rows, units) of hidden layer `layer`, after its activation.
  void add_activations(int layer, const float* activations, int rows, int units,
                       Activation activation);

  // gradient (the arena's layout) of one step.
  void add_gradient(const Network& network, const float* gradient);

  const std::vector<LayerStatistics>& layers() const { return layers_; }
  double gradient_norm_sum() const { return gradient_norm_sum_; }
  long steps() const { return steps_; }

 private:
  std::vector<LayerStatistics> layers_;  // one per weight layer; the last has no activations
  double gradient_norm_sum_ = 0.0;
  long steps_ = 0;
};

}  // namespace fastdnn
