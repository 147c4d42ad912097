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
// label_smoothing ε (Szegedy et al. 2016) makes a cross-entropy's targets
// (1 − ε)·y + ε/K, K the classes (O for softmax, 2 for each logistic output);
// the regression losses take none.
double loss_forward_backward(float* delta, const float* z, const float* target,
                             const float* sample_weight, int B, int O, Loss loss, double weight_sum,
                             float label_smoothing = 0.0f);

// What a batch's loss reads besides its targets: label smoothing, and a
// teacher's logits to distil from (nn/distillation.h).
struct LossTerms {
  float label_smoothing = 0.0f;
  const float* teacher_logits = nullptr;  // (rows, outputs) of the batch, or null
  float distillation_weight = 0.5f;
  float distillation_temperature = 1.0f;
};

}  // namespace fastdnn
