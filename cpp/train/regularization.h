#pragma once

#include "nn/network.h"

namespace fastdnn {

// The penalties that enter the loss (and so its gradient): on the weights
// (L2, L1) and on the hidden layers' outputs (activity L1).
// Biases and any other per-layer parameters (normalization gains and shifts)
// are never penalised: only the ranges [weight_offset(l), bias_offset(l)).
struct Regularization {
  double alpha = 0.0;  // L2, scikit-learn's
  double l1 = 0.0;
};

// (½·alpha·Σ‖W‖² + l1·Σ|W|) / weight_sum, both scaled as scikit-learn scales
// its L2 term; adds the gradient (alpha·W + l1·sign(W)) / weight_sum into
// gradient unless null. sign(0) = 0: the subgradient that leaves a weight
// sitting at zero where it is.
double regularization_penalty(const Network& network, float* gradient,
                              const Regularization& regularization, double weight_sum);

// Activity L1 (LayerOptions::activity_l1, λ) penalises a hidden layer's
// outputs h (rows, units) rather than weights: Σ_i w_i·λ·Σ_j |h_ij| / weight_sum,
// w_i the sample weights (null: 1). Returns loss plus that penalty, added one
// row at a time in row order: the loss's sum stays the one the layers have
// always given.
double add_activity_l1_penalty(double loss, const float* h, int rows, int units,
                               const float* sample_weight, float activity_l1, double weight_sum);

// delta (rows, units) += the penalty's gradient w_i·λ·sign(h_ij) / weight_sum,
// sign(0) = 0; a hidden layer's backward adds it where ∂L/∂h is complete.
void add_activity_l1_gradient(float* delta, const float* h, int rows, int units,
                              const float* sample_weight, float activity_l1, double weight_sum);

}  // namespace fastdnn
