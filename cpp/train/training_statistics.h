#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/aligned_buffer.h"
#include "nn/activation.h"
#include "nn/network.h"

namespace fastdnn {

// Histograms bin values by sign and binary order of magnitude, which spans
// every activation's and gradient's range without knowing it in advance:
// one bin per octave [2ᵉ, 2ᵉ⁺¹) for e in [-24, 7] on each side, a bin for
// |v| < 2⁻²⁴ (zero included), and the outermost bins open-ended (inf and NaN
// fall in the top one).
constexpr int kHistogramOctaves = 32;
constexpr int kHistogramBins = 2 * kHistogramOctaves + 1;
using Histogram = std::array<int64_t, kHistogramBins>;

// The kHistogramBins + 1 ascending bin edges, ±inf at the ends.
std::vector<double> histogram_bin_edges();

// What one hidden layer did during an epoch, summed over the sampled minibatches.
struct LayerStatistics {
  double activation_sum = 0.0;
  double activation_square_sum = 0.0;
  long activation_count = 0;
  // Outputs where the activation's derivative (nearly) vanishes: relu at 0,
  // logistic outside [0.01, 0.99], tanh beyond ±0.99.
  long saturated_count = 0;
  // Per unit: whether any sampled row gave it a non-zero output; a unit never
  // active is dead (for relu: it receives no gradient at all).
  AlignedVector<uint8_t> unit_active;
  // Σ over sampled steps of ‖∂loss/∂W‖ for this layer's weights.
  double gradient_norm_sum = 0.0;
  // With histograms on: the layer's outputs and its weight gradients.
  Histogram activation_histogram{};
  Histogram gradient_histogram{};
};

// ‖W‖, ‖W_before‖ and ‖W − W_before‖ of one layer's weights, summed in double.
struct WeightChange {
  double norm = 0.0;
  double previous_norm = 0.0;
  double change_norm = 0.0;
};

// Each layer's WeightChange from before, a copy of the arena (n_parameters)
// taken at the epoch's start: history_'s weight norms and update ratios, read
// from the arena and its copy as they are, rather than converting both to
// float64 in NumPy and summing there on one thread (docs/architecture.md).
std::vector<WeightChange> weight_changes(const Network& network, const float* before);

// Training diagnostics of one epoch: the raw sums from which history_ reports
// means, standard deviations and fractions. The trainer feeds it a fixed,
// evenly spaced sample of the epoch's minibatches (see Trainer), so its cost
// is bounded per epoch, not per step.
class TrainingStatistics {
 public:
  void reset(const Network& network, bool histograms);

  // activations (rows, units) of hidden layer `layer`, after its activation.
  void add_activations(int layer, const float* activations, int rows, int units,
                       Activation activation);

  // gradient (the arena's layout) of one step.
  void add_gradient(const Network& network, const float* gradient);

  const std::vector<LayerStatistics>& layers() const { return layers_; }
  double gradient_norm_sum() const { return gradient_norm_sum_; }
  long steps() const { return steps_; }
  bool histograms() const { return histograms_; }

 private:
  std::vector<LayerStatistics> layers_;  // one per weight layer; the last has no activations
  double gradient_norm_sum_ = 0.0;
  long steps_ = 0;
  bool histograms_ = false;
};

}  // namespace fastdnn
