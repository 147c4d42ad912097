#pragma once

#include "nn/network.h"

namespace fastdnn {

// The penalties on the weights that enter the loss (and so its gradient).
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

}  // namespace fastdnn
