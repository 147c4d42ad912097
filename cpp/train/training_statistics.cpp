#include "train/training_statistics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/reductions.h"
#include "kernels/vectorize_for_cpu.h"

namespace fastdnn {

namespace {

// Saturated outputs counted with the predicate inlined into the loop, one
// instantiation per activation, so the loop vectorises.
template <class IsSaturated>
[[gnu::always_inline]] inline long count_saturated(const float* values, long n,
                                                   IsSaturated is_saturated) {
  long count = 0;
  for (long i = 0; i < n; ++i) count += is_saturated(values[i]) ? 1 : 0;
  return count;
}

FASTDNN_VECTORIZE_FOR_CPU
long count_saturated(const float* values, long n, Activation activation) {
  switch (activation) {
    case Activation::relu:
      return count_saturated(values, n, [](float v) { return v <= 0.0f; });
    case Activation::logistic:
      return count_saturated(values, n, [](float v) { return v < 0.01f || v > 0.99f; });
    case Activation::tanh:
      return count_saturated(values, n, [](float v) { return v < -0.99f || v > 0.99f; });
    default:
      return 0;
  }
}

// unit_active[unit] |= whether any row's output of the unit is non-zero.
FASTDNN_VECTORIZE_FOR_CPU
void mark_active_units(uint8_t* __restrict unit_active, const float* __restrict activations,
                       int rows, int units) {
  for (int row = 0; row < rows; ++row) {
    const float* values = activations + static_cast<long>(row) * units;
    for (int unit = 0; unit < units; ++unit) unit_active[unit] |= values[unit] != 0.0f;
  }
}

// The bin of one value from its float bits: the biased exponent gives the
// octave, the sign bit the side.
inline int histogram_bin(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  constexpr int kSmallestExponent = 127 - 24;  // biased exponent of 2⁻²⁴
  const int biased_exponent = static_cast<int>((bits >> 23) & 0xFF);
  if (biased_exponent < kSmallestExponent) return kHistogramOctaves;
  const int octave = std::min(biased_exponent - kSmallestExponent, kHistogramOctaves - 1);
  return (bits >> 31) != 0 ? kHistogramOctaves - 1 - octave : kHistogramOctaves + 1 + octave;
}

void add_to_histogram(Histogram& histogram, const float* values, long n) {
  // Four interleaved count arrays: runs of values in one bin (the common
  // case) would otherwise wait on each other's increment of one counter.
  constexpr int kCopies = 4;
  int64_t counts[kCopies][kHistogramBins] = {};
  long i = 0;
  for (; i + kCopies <= n; i += kCopies) {
    for (int copy = 0; copy < kCopies; ++copy) ++counts[copy][histogram_bin(values[i + copy])];
  }
  for (; i < n; ++i) ++counts[0][histogram_bin(values[i])];
  for (int copy = 0; copy < kCopies; ++copy) {
    for (int bin = 0; bin < kHistogramBins; ++bin) histogram[bin] += counts[copy][bin];
  }
}

}  // namespace

std::vector<double> histogram_bin_edges() {
  std::vector<double> edges;
  edges.push_back(-std::numeric_limits<double>::infinity());
  for (int exponent = 7; exponent >= -24; --exponent) edges.push_back(-std::ldexp(1.0, exponent));
  for (int exponent = -24; exponent <= 7; ++exponent) edges.push_back(std::ldexp(1.0, exponent));
  edges.push_back(std::numeric_limits<double>::infinity());
  return edges;
}

std::vector<WeightChange> weight_changes(const Network& network, const float* before) {
  std::vector<WeightChange> changes(network.n_layers());
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const float* weight = network.weight(layer);
    const float* previous = before + network.weight_offset(layer);
    const long size = network.weight_size(layer);
    changes[layer].norm = std::sqrt(sum_of_squares(weight, size));
    changes[layer].previous_norm = std::sqrt(sum_of_squares(previous, size));
    changes[layer].change_norm = std::sqrt(sum_of_squared_differences(weight, previous, size));
  }
  return changes;
}

void TrainingStatistics::reset(const Network& network, bool histograms) {
  layers_.assign(network.n_layers(), LayerStatistics{});
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    layers_[layer].unit_active.assign(network.layer_units()[layer + 1], 0);
  }
  gradient_norm_sum_ = 0.0;
  steps_ = 0;
  histograms_ = histograms;
}

void TrainingStatistics::add_activations(int layer, const float* activations, int rows, int units,
                                         Activation activation) {
  LayerStatistics& statistics = layers_[layer];
  const long n = static_cast<long>(rows) * units;
  const SumAndSumOfSquares sums = sum_and_sum_of_squares(activations, n);
  statistics.activation_sum += sums.sum;
  statistics.activation_square_sum += sums.sum_of_squares;
  statistics.activation_count += n;
  statistics.saturated_count += count_saturated(activations, n, activation);
  mark_active_units(statistics.unit_active.data(), activations, rows, units);
  if (histograms_) add_to_histogram(statistics.activation_histogram, activations, n);
}

void TrainingStatistics::add_gradient(const Network& network, const float* gradient) {
  double total = 0.0;
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const float* weight_gradient = gradient + network.weight_offset(layer);
    const double square_sum = sum_of_squares(weight_gradient, network.weight_size(layer));
    const double bias_square_sum =
        sum_of_squares(gradient + network.bias_offset(layer), network.layer_units()[layer + 1]);
    layers_[layer].gradient_norm_sum += std::sqrt(square_sum);
    total += square_sum + bias_square_sum;
    if (histograms_) {
      add_to_histogram(layers_[layer].gradient_histogram, weight_gradient,
                       network.weight_size(layer));
    }
  }
  gradient_norm_sum_ += std::sqrt(total);
  ++steps_;
}

}  // namespace fastdnn
