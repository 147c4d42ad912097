#include "nn/distillation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastdnn {

namespace {

// log σ(x) = −softplus(−x), stable for any x.
double log_sigmoid(double x) {
  return -(std::max(-x, 0.0) + std::log1p(std::exp(-std::fabs(x))));
}

// A row's KL(q ‖ s) of the softmaxes at temperature T; delta (O) ←
// (1 − w)·delta + w·T·(s − q)·scale.
double softmax_row(float* delta, const float* z, const float* teacher, int O, double T, double w,
                   double scale) {
  double z_max = -INFINITY, t_max = -INFINITY;
  for (int j = 0; j < O; ++j) {
    z_max = std::max(z_max, z[j] / T);
    t_max = std::max(t_max, teacher[j] / T);
  }
  double z_sum = 0.0, t_sum = 0.0;
  for (int j = 0; j < O; ++j) {
    z_sum += std::exp(z[j] / T - z_max);
    t_sum += std::exp(teacher[j] / T - t_max);
  }
  const double z_log_sum = z_max + std::log(z_sum), t_log_sum = t_max + std::log(t_sum);
  double kl = 0.0;
  for (int j = 0; j < O; ++j) {
    const double log_s = z[j] / T - z_log_sum, log_q = teacher[j] / T - t_log_sum;
    const double q = std::exp(log_q);
    if (q > 0.0) kl += q * (log_q - log_s);
    delta[j] = static_cast<float>((1.0 - w) * delta[j] + w * T * (std::exp(log_s) - q) * scale);
  }
  return kl;
}

// A row's Σ_j KL(Bernoulli(q_j) ‖ Bernoulli(s_j)); delta as softmax_row's.
double logistic_row(float* delta, const float* z, const float* teacher, int O, double T, double w,
                    double scale) {
  double kl = 0.0;
  for (int j = 0; j < O; ++j) {
    const double a = z[j] / T, b = teacher[j] / T;
    const double log_s = log_sigmoid(a), log_not_s = log_sigmoid(-a);
    const double log_q = log_sigmoid(b), log_not_q = log_sigmoid(-b);
    const double q = std::exp(log_q), not_q = std::exp(log_not_q);
    if (q > 0.0) kl += q * (log_q - log_s);
    if (not_q > 0.0) kl += not_q * (log_not_q - log_not_s);
    delta[j] = static_cast<float>((1.0 - w) * delta[j] + w * T * (std::exp(log_s) - q) * scale);
  }
  return kl;
}

}  // namespace

double distillation_forward_backward(float* delta, const float* z, const float* teacher_logits,
                                     const float* sample_weight, int B, int O, Loss loss,
                                     double weight_sum, double hard_loss, float weight,
                                     float temperature) {
  if (loss != Loss::log_loss && loss != Loss::binary_log_loss) {
    throw std::invalid_argument("only a classifier's cross-entropy distils from teacher logits");
  }
  const double T = temperature, w = weight;
  double total = 0.0;
  for (int i = 0; i < B; ++i) {
    const long offset = static_cast<long>(i) * O;
    const double row_weight = sample_weight != nullptr ? sample_weight[i] : 1.0;
    const double scale = row_weight / weight_sum;
    const auto row = loss == Loss::log_loss ? softmax_row : logistic_row;
    total += row_weight * row(delta + offset, z + offset, teacher_logits + offset, O, T, w, scale);
  }
  return (1.0 - w) * hard_loss + w * T * T * total / weight_sum;
}

}  // namespace fastdnn
