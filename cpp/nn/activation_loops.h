// The activation loops, written to be auto-vectorised: no calls into libm,
// no branches the compiler cannot turn into selects. Included by exactly one
// translation unit per instruction set (activation_<isa>.cpp), inside which
// FASTDNN_ACTIVATION_ISA names the namespace and the file's compile flags pick
// the vector width. Deliberately without an include guard.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "nn/activation_backends.h"

namespace fastdnn::FASTDNN_ACTIVATION_ISA {

namespace {

inline float bits_to_float(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline uint32_t float_to_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// exp(x) = 2ⁿ · exp(r), n = round(x / ln 2), r = x − n·ln 2 ∈ [−ln2/2, ln2/2],
// exp(r) by Cephes' expf minimax polynomial (≤ 2 ulp). x is clamped so that
// 2ⁿ stays a normal float; NaN passes through the clamp unchanged.
inline float vector_exp(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);
  // Adding and subtracting 1.5·2²³ rounds to the nearest integer with plain
  // float adds, which every SIMD level has (floor needs SSE4.1).
  const float shifted = x * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n also sits in shifted's low mantissa bits. Reading it from there in
  // unsigned arithmetic, instead of converting n to int, keeps NaN defined
  // (converting NaN to int is undefined behaviour); p is NaN then anyway.
  const uint32_t biased_exponent = float_to_bits(shifted) - float_to_bits(12582912.0f) + 127u;
  return p * bits_to_float(biased_exponent << 23);
}

// tanh: Cephes' odd polynomial near 0, where 1 − 2/(e^{2x} + 1) would lose
// its relative precision to cancellation; that formula elsewhere.
inline float vector_tanh(float x) {
  const float magnitude = std::fabs(x);
  const float z = x * x;
  float small = -5.70498872745e-3f;
  small = small * z + 2.06390887954e-2f;
  small = small * z - 5.37397155531e-2f;
  small = small * z + 1.33314422036e-1f;
  small = small * z - 3.33332819422e-1f;
  small = small * z * x + x;
  const float large = std::copysign(1.0f - 2.0f / (vector_exp(2.0f * magnitude) + 1.0f), x);
  return magnitude < 0.625f ? small : large;
}

inline float vector_logistic(float x) {
  return 1.0f / (1.0f + vector_exp(-x));
}

}  // namespace

void activation_forward(float* x, long rows, int cols, Activation activation,
                        float /*leaky_relu_slope*/) {
  const long n = rows * cols;
  switch (activation) {
    case Activation::identity:
      return;
    case Activation::logistic:
      for (long i = 0; i < n; ++i) x[i] = vector_logistic(x[i]);
      return;
    case Activation::tanh:
      for (long i = 0; i < n; ++i) x[i] = vector_tanh(x[i]);
      return;
    case Activation::relu:
      // Written so that NaN propagates, as np.maximum(x, 0) does.
      for (long i = 0; i < n; ++i) x[i] = x[i] < 0.0f ? 0.0f : x[i];
      return;
    case Activation::exp:
      for (long i = 0; i < n; ++i) x[i] = vector_exp(x[i]);
      return;
    case Activation::leaky_relu:
    case Activation::elu:
    case Activation::selu:
    case Activation::gelu:
    case Activation::silu:
    case Activation::softplus:
      throw std::invalid_argument("activation '" + activation_name(activation) +
                                  "' has no kernel yet");
    case Activation::softmax:
      // softmax(x)_j = exp(x_j − max x) / Σ_k exp(x_k − max x): subtracting
      // the row maximum keeps exp from overflowing.
      for (long row = 0; row < rows; ++row) {
        float* values = x + row * cols;
        const float row_max = *std::max_element(values, values + cols);
        float sum = 0.0f;
        for (int j = 0; j < cols; ++j) {
          values[j] = vector_exp(values[j] - row_max);
          sum += values[j];
        }
        const float inverse = 1.0f / sum;
        for (int j = 0; j < cols; ++j) values[j] *= inverse;
      }
      return;
  }
}

void activation_backward(float* delta, const float* /*pre_activation*/, const float* output, long n,
                         Activation activation, float /*leaky_relu_slope*/) {
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
    case Activation::leaky_relu:
    case Activation::elu:
    case Activation::selu:
    case Activation::gelu:
    case Activation::silu:
    case Activation::softplus:
      throw std::invalid_argument("activation '" + activation_name(activation) +
                                  "' has no kernel yet");
  }
}

}  // namespace fastdnn::FASTDNN_ACTIVATION_ISA
