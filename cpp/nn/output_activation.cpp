#include "nn/output_activation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastdnn {

namespace {

// 1 / (1 + e^-z) without overflowing e^-z for very negative z.
double logistic(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

void output_activation_in_double(double* out, const float* z, long rows, int cols,
                                 Activation activation) {
  const long n = rows * cols;
  switch (activation) {
    case Activation::identity:
      std::copy(z, z + n, out);
      return;
    case Activation::logistic:
      for (long i = 0; i < n; ++i) out[i] = logistic(z[i]);
      return;
    case Activation::exp:
      for (long i = 0; i < n; ++i) out[i] = std::exp(static_cast<double>(z[i]));
      return;
    case Activation::softmax:
      for (long row = 0; row < rows; ++row) {
        const float* logits = z + row * cols;
        double* probabilities = out + row * cols;
        const double largest = *std::max_element(logits, logits + cols);
        double sum = 0.0;
        for (int j = 0; j < cols; ++j) {
          probabilities[j] = std::exp(logits[j] - largest);
          sum += probabilities[j];
        }
        for (int j = 0; j < cols; ++j) probabilities[j] /= sum;
      }
      return;
    default:
      throw std::invalid_argument("'" + name_of(activation) + "' is not an output activation");
  }
}

}  // namespace fastdnn
