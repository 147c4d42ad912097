#pragma once

#include <array>
#include <string>

#include "kernels/enum_names.h"
#include "nn/activation.h"

namespace fastdnn {

// Losses as scikit-learn's MLP defines them (sklearn/neural_network/_base.py),
// each paired with the output activation whose derivative cancels into
// dL/dz = f(z) − y (the canonical link).
enum class Loss { squared_error, poisson, log_loss, binary_log_loss };

template <>
struct EnumNames<Loss> {
  static constexpr const char* kind = "loss";
  static constexpr std::array<NamedValue<Loss>, 4> table{{
      {Loss::squared_error, "squared_error"},
      {Loss::poisson, "poisson"},
      {Loss::log_loss, "log_loss"},
      {Loss::binary_log_loss, "binary_log_loss"},
  }};
};
Activation output_activation_for(Loss loss);

// From the output layer's pre-activation z (B,O) and targets (B,O):
// - writes delta (B,O) = (f(z) − y) · w_i / weight_sum, the gradient of the
//   loss with respect to z, already scaled as the parameter gradients need;
// - returns Σ_i w_i · loss_i / weight_sum (w_i = 1 when sample_weight is
//   null), so that chunks of one batch sum to the batch's weighted mean.
// Cross-entropies are computed from z with log-sum-exp / softplus, never from
// a rounded probability, so they stay finite where probabilities underflow.
double loss_forward_backward(float* delta, const float* z, const float* target,
                             const float* sample_weight, int B, int O, Loss loss,
                             double weight_sum);

}  // namespace fastdnn
