#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kernels/enum_names.h"

namespace fastdnn {

// bernoulli: inverted dropout, a kept unit is scaled by 1/(1−rate);
// gaussian: multiplicative N(1, rate/(1−rate)) noise, the same variance;
// alpha: SELU's alpha dropout (Klambauer et al. 2017), which drops to SELU's
// negative saturation and rescales so mean and variance are kept.
enum class DropoutKind { bernoulli, gaussian, alpha };

template <>
struct EnumNames<DropoutKind> {
  static constexpr const char* kind = "dropout_kind";
  static constexpr std::array<NamedValue<DropoutKind>, 3> table{{
      {DropoutKind::bernoulli, "bernoulli"},
      {DropoutKind::gaussian, "gaussian"},
      {DropoutKind::alpha, "alpha"},
  }};
};

// Which random numbers a stochastic pass draws. Every mask element and noise
// value is Philox keyed by (seed, step) and counted by (stream, index, global
// element): the same whatever the threads, and the same for a row whichever
// chunk of the pass holds it (first_row is the chunk's first row).
struct NoiseKey {
  uint64_t seed = 0;
  uint64_t step = 0;
  long first_row = 0;
};

// x (rows,cols) ← m ⊙ x + c with a random m (and alpha's c) per element;
// scale (rows,cols) ← m, the derivative, unless null. `index` tells layers apart.
void dropout_forward(float* x, float* scale, long rows, int cols, float rate, DropoutKind kind,
                     const NoiseKey& key, uint32_t index);

// delta (n) ← delta ⊙ scale.
void dropout_backward(float* delta, const float* scale, long n);

// x (rows,cols) += N(0, std²) per element.
void gaussian_noise_forward(float* x, long rows, int cols, float std, const NoiseKey& key);

}  // namespace fastdnn
