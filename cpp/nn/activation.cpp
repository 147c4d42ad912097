#include "nn/activation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastdnn {

Activation activation_from_name(const std::string& name) {
  if (name == "identity") return Activation::identity;
  if (name == "logistic") return Activation::logistic;
  if (name == "tanh") return Activation::tanh;
  if (name == "relu") return Activation::relu;
  if (name == "softmax") return Activation::softmax;
  if (name == "exp") return Activation::exp;
  throw std::invalid_argument("unknown activation '" + name + "'");
}

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::identity:
      return "identity";
    case Activation::logistic:
      return "logistic";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
    case Activation::softmax:
      return "softmax";
    case Activation::exp:
      return "exp";
  }
  return "identity";
}

namespace {

// softmax(x)_j = exp(x_j − max x) / Σ_k exp(x_k − max x): subtracting the row
// maximum keeps exp from overflowing without changing the result.
void softmax_rows(float* x, long rows, int cols) {
  for (long i = 0; i < rows; ++i) {
    float* row = x + i * cols;
    const float row_max = *std::max_element(row, row + cols);
    double sum = 0.0;
    for (int j = 0; j < cols; ++j) {
      row[j] = std::exp(row[j] - row_max);
      sum += row[j];
    }
    const float inverse = static_cast<float>(1.0 / sum);
    for (int j = 0; j < cols; ++j) row[j] *= inverse;
  }
}

}  // namespace

void activation_forward(float* x, long rows, int cols, Activation activation) {
  const long n = rows * cols;
  switch (activation) {
    case Activation::identity:
      return;
    case Activation::logistic:
      for (long i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Activation::tanh:
      for (long i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case Activation::relu:
      for (long i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      return;
    case Activation::exp:
      for (long i = 0; i < n; ++i) x[i] = std::exp(x[i]);
      return;
    case Activation::softmax:
      softmax_rows(x, rows, cols);
      return;
  }
}

void activation_backward(float* delta, const float* output, long n, Activation activation) {
  switch (activation) {
    case Activation::identity:
      return;
    case Activation::logistic:  // σ' = σ(1 − σ)
      for (long i = 0; i < n; ++i) delta[i] *= output[i] * (1.0f - output[i]);
      return;
    case Activation::tanh:  // tanh' = 1 − tanh²
      for (long i = 0; i < n; ++i) delta[i] *= 1.0f - output[i] * output[i];
      return;
    case Activation::relu:  // the output is 0 exactly where z ≤ 0
      for (long i = 0; i < n; ++i) delta[i] = output[i] > 0.0f ? delta[i] : 0.0f;
      return;
    case Activation::exp:
      for (long i = 0; i < n; ++i) delta[i] *= output[i];
      return;
    case Activation::softmax:
      throw std::invalid_argument("softmax is only an output activation, paired with log_loss");
  }
}

}  // namespace fastdnn
