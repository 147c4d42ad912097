#pragma once

#include <array>
#include <string>

#include "kernels/enum_names.h"

namespace fastdnn {

// Hidden activations and the output activations that pair with each loss
// (softmax with cross-entropy, logistic with binary cross-entropy, exp with
// Poisson, identity with squared error).
enum class Activation {
  identity,
  logistic,
  tanh,
  relu,
  leaky_relu,
  elu,
  selu,
  gelu,
  silu,
  softplus,
  softmax,
  exp
};

template <>
struct EnumNames<Activation> {
  static constexpr const char* kind = "activation";
  static constexpr std::array<NamedValue<Activation>, 12> table{{
      {Activation::identity, "identity"},
      {Activation::logistic, "logistic"},
      {Activation::tanh, "tanh"},
      {Activation::relu, "relu"},
      {Activation::leaky_relu, "leaky_relu"},
      {Activation::elu, "elu"},
      {Activation::selu, "selu"},
      {Activation::gelu, "gelu"},
      {Activation::silu, "silu"},
      {Activation::softplus, "softplus"},
      {Activation::softmax, "softmax"},
      {Activation::exp, "exp"},
  }};
};

// softmax and exp only end a network, paired with their losses.
constexpr bool is_hidden_activation(Activation activation) {
  return activation != Activation::softmax && activation != Activation::exp;
}

// x (rows,cols) ← f(x), in place; softmax normalises each row.
// leaky_relu_slope is leaky_relu's slope for x < 0; the others ignore it.
void activation_forward(float* x, long rows, int cols, Activation activation,
                        float leaky_relu_slope);

// Whether f'(z) can only be computed from the pre-activation z (gelu, silu):
// for the others it follows from the output y = f(z) alone (scikit-learn's
// DERIVATIVES do the same), so z need not be kept.
bool activation_backward_needs_pre_activation(Activation activation);

// delta (n) ← delta · f'(z). pre_activation z (n) is read only where
// activation_backward_needs_pre_activation says so, and may be null elsewhere;
// output y = f(z) (n) is always read.
void activation_backward(float* delta, const float* pre_activation, const float* output, long n,
                         Activation activation, float leaky_relu_slope);

}  // namespace fastdnn
