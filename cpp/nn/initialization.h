#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kernels/enum_names.h"

namespace fastdnn {

// How a dense layer's weight (fan_in,fan_out) and bias (fan_out) start.
// scikit_learn (the estimators' 'auto') is scikit-learn's Glorot-uniform:
// weights and biases ~ U(−b, b), b = sqrt(factor / (fan_in + fan_out)), with
// its factor (6, or 2 for a logistic net). Every other scheme zeroes the bias
// and draws the weights as named (fan_in, fan_out are the layer's; normal
// draws are not truncated, as in PyTorch):
//   glorot_uniform  U(±sqrt(6 / (fan_in + fan_out)))   Glorot & Bengio 2010
//   glorot_normal   N(0, 2 / (fan_in + fan_out))
//   he_uniform      U(±sqrt(6 / fan_in))                He et al. 2015 (relu)
//   he_normal       N(0, 2 / fan_in)
//   lecun_uniform   U(±sqrt(3 / fan_in))                LeCun et al. 1998
//   lecun_normal    N(0, 1 / fan_in)                    Klambauer et al. 2017 (selu)
//   orthogonal      a uniformly random matrix with orthonormal columns
//                   (rows when fan_in < fan_out), gain 1   Saxe et al. 2014
//   normal          N(0, 0.01²)                        "small random"
//   sparse          sparse_init_connections N(0, 1) weights into each unit,
//                   the rest 0                          Martens 2010
// Numbers come from Philox keyed by the seed, counters (layer, element), so a
// layer's values depend on (seed, layer) only: not on threads, call order or
// the other layers.
enum class WeightInit {
  scikit_learn,
  glorot_uniform,
  glorot_normal,
  he_uniform,
  he_normal,
  lecun_uniform,
  lecun_normal,
  orthogonal,
  normal,
  sparse
};

// Martens (2010)'s count of non-zero incoming weights per unit, capped at fan_in.
constexpr int sparse_init_connections = 15;

template <>
struct EnumNames<WeightInit> {
  static constexpr const char* kind = "weight_init";
  static constexpr std::array<NamedValue<WeightInit>, 10> table{{
      {WeightInit::scikit_learn, "auto"},
      {WeightInit::glorot_uniform, "glorot_uniform"},
      {WeightInit::glorot_normal, "glorot_normal"},
      {WeightInit::he_uniform, "he_uniform"},
      {WeightInit::he_normal, "he_normal"},
      {WeightInit::lecun_uniform, "lecun_uniform"},
      {WeightInit::lecun_normal, "lecun_normal"},
      {WeightInit::orthogonal, "orthogonal"},
      {WeightInit::normal, "normal"},
      {WeightInit::sparse, "sparse"},
  }};
};

// weight (fan_in,fan_out), bias (fan_out) ← layer `layer`'s initial values;
// scikit_learn_factor is read only by WeightInit::scikit_learn.
void initialize_dense(float* weight, float* bias, int fan_in, int fan_out, WeightInit init,
                      double scikit_learn_factor, uint64_t seed, int layer);

}  // namespace fastdnn
