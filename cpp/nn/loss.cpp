#include "nn/loss.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastdnn {

Activation output_activation_for(Loss loss) {
  switch (loss) {
    case Loss::squared_error:
      return Activation::identity;
    case Loss::poisson:
      return Activation::exp;
    case Loss::log_loss:
      return Activation::softmax;
    case Loss::binary_log_loss:
      return Activation::logistic;
  }
  return Activation::identity;
}

namespace {

// Per-sample losses, each returning the unweighted loss of row i and writing
// f(z) − y into that row of delta.

// ½ · mean over outputs of (y − z)²; sklearn averages the squared error over
// outputs in the loss but not in its gradient, and so do we.
double squared_error_row(float* delta, const float* z, const float* y, int O) {
  double sum = 0.0;
  for (int j = 0; j < O; ++j) {
    const double residual = static_cast<double>(z[j]) - y[j];
    sum += residual * residual;
    delta[j] = static_cast<float>(residual);
  }
  return 0.5 * sum / O;
}

// Half Poisson deviance with log link: Σ_j y·log(y/μ) − y + μ, μ = exp(z).
double poisson_row(float* delta, const float* z, const float* y, int O) {
  double sum = 0.0;
  for (int j = 0; j < O; ++j) {
    const double mean = std::exp(static_cast<double>(z[j]));
    const double y_log_y = y[j] > 0.0f ? y[j] * (std::log(static_cast<double>(y[j])) - z[j]) : 0.0;
    sum += y_log_y - y[j] + mean;
    delta[j] = static_cast<float>(mean - y[j]);
  }
  return sum;
}

// −Σ_j y_j · log softmax(z)_j with log softmax(z)_j = z_j − logsumexp(z),
// y smoothed by ε: (1 − ε)·y + ε/O, exactly y when ε is 0.
double log_loss_row(float* delta, const float* z, const float* target, int O, float smoothing) {
  const float keep = 1.0f - smoothing, spread = smoothing / static_cast<float>(O);
  const auto y = [&](int j) { return keep * target[j] + spread; };
  const double z_max = *std::max_element(z, z + O);
  double exp_sum = 0.0;
  for (int j = 0; j < O; ++j) exp_sum += std::exp(z[j] - z_max);
  const double log_sum_exp = z_max + std::log(exp_sum);
  double sum = 0.0;
  for (int j = 0; j < O; ++j) {
    const double log_probability = z[j] - log_sum_exp;
    const float yj = y(j);
    if (yj != 0.0f) sum -= yj * log_probability;
    delta[j] = static_cast<float>(std::exp(log_probability) - yj);
  }
  return sum;
}

// −Σ_j [y·log σ(z) + (1−y)·log(1−σ(z))] = Σ_j softplus(z) − y·z, with
// softplus(z) = max(z,0) + log1p(exp(−|z|)) stable for any z. σ(z) comes
// from the same e = exp(−|z|): 1/(1+e) for z ≥ 0, e/(1+e) below, one exp
// per output where σ on its own took a second exp. y smoothed as
// (1 − ε)·y + ε/2.
double binary_log_loss_row(float* delta, const float* z, const float* target, int O,
                           float smoothing) {
  const float keep = 1.0f - smoothing, spread = 0.5f * smoothing;
  double sum = 0.0;
  for (int j = 0; j < O; ++j) {
    const float yj = keep * target[j] + spread;
    const double zj = z[j];
    const double e = std::exp(-std::fabs(zj));
    sum += std::max(zj, 0.0) + std::log1p(e) - yj * zj;
    const double sigmoid = (zj >= 0.0 ? 1.0 : e) / (1.0 + e);
    delta[j] = static_cast<float>(sigmoid - yj);
  }
  return sum;
}

}  // namespace

double loss_forward_backward(float* delta, const float* z, const float* target,
                             const float* sample_weight, int B, int O, Loss loss, double weight_sum,
                             float label_smoothing) {
  double total = 0.0;
  for (int i = 0; i < B; ++i) {
    const long offset = static_cast<long>(i) * O;
    double row_loss = 0.0;
    switch (loss) {
      case Loss::squared_error:
        row_loss = squared_error_row(delta + offset, z + offset, target + offset, O);
        break;
      case Loss::poisson:
        row_loss = poisson_row(delta + offset, z + offset, target + offset, O);
        break;
      case Loss::log_loss:
        row_loss = log_loss_row(delta + offset, z + offset, target + offset, O, label_smoothing);
        break;
      case Loss::binary_log_loss:
        row_loss =
            binary_log_loss_row(delta + offset, z + offset, target + offset, O, label_smoothing);
        break;
    }
    const double weight = sample_weight != nullptr ? sample_weight[i] : 1.0;
    total += weight * row_loss;
    const float scale = static_cast<float>(weight / weight_sum);
    for (int j = 0; j < O; ++j) delta[offset + j] *= scale;
  }
  return total / weight_sum;
}

}  // namespace fastdnn
