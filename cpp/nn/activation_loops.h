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

// exp(x) − 1: the Taylor series up to x⁸ where exp(x) − 1 would cancel
// (|x| < 0.5, truncation error < 1e-8 relative), exp(x) − 1 elsewhere.
inline float vector_expm1(float x) {
  float small = 1.0f / 40320.0f;
  small = small * x + 1.0f / 5040.0f;
  small = small * x + 1.0f / 720.0f;
  small = small * x + 1.0f / 120.0f;
  small = small * x + 1.0f / 24.0f;
  small = small * x + 1.0f / 6.0f;
  small = small * x + 0.5f;
  small = small * x * x + x;
  const float large = vector_exp(x) - 1.0f;
  return std::fabs(x) < 0.5f ? small : large;
}

// log(x) for a positive normal x: x = m·2ᵉ with m ∈ [√½, √2), log(1 + f) for
// f = m − 1 by Cephes' logf polynomial, e·ln 2 added in two parts.
inline float vector_log(float x) {
  const uint32_t bits = float_to_bits(x);
  float m = bits_to_float((bits & 0x007fffffu) | 0x3f800000u);
  float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127);
  const bool above = m > 1.41421356f;
  m = above ? 0.5f * m : m;
  e = above ? e + 1.0f : e;
  const float f = m - 1.0f;
  const float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  p = p * f * z - 2.12194440e-4f * e - 0.5f * z;
  return f + p + 0.693359375f * e;
}

// log(1 + t) for t ∈ [0, 1]: Goldberg's correction log(u)·t/(u − 1) with
// u = 1 + t rounded recovers what the rounding of u lost.
inline float vector_log1p(float t) {
  const float u = 1.0f + t;
  const float rounded = u - 1.0f;
  return rounded == 0.0f ? t : vector_log(u) * (t / rounded);
}

// softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|): never overflows.
inline float vector_softplus(float x) {
  return std::max(x, 0.0f) + vector_log1p(vector_exp(-std::fabs(x)));
}

// Φ(x), the standard normal CDF, as ½·erfc(−x/√2) with erfc by Numerical
// Recipes' erfcc (relative error < 1.2e-7 for every argument), so that Φ keeps
// its relative precision in the lower tail where 1 + erf(x/√2) would cancel.
inline float vector_normal_cdf(float x) {
  const float z = std::fabs(x) * 0.70710678118654752f;
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  // x²/2 rounds once where z² = (|x|/√2)² would round twice.
  const float half_erfc = 0.5f * t * vector_exp(p - 0.5f * x * x);
  return x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

// φ(x) = exp(−x²/2)/√(2π), the standard normal density.
inline float vector_normal_pdf(float x) {
  return 0.39894228040143268f * vector_exp(-0.5f * x * x);
}

// SELU's constants (Klambauer et al. 2017), for zero mean and unit variance.
constexpr float selu_scale = 1.05070098735548049342f;
constexpr float selu_alpha = 1.67326324235437728481f;

// Beyond these |x| the terms of gelu and silu that multiply x are 0 or 1 in
// float, so clamping x there changes nothing but keeps ±inf from meeting 0
// (x·Φ(x) at x = −inf would be −inf·0 = NaN instead of gelu's limit 0).
constexpr float gelu_clamp = 20.0f;
constexpr float silu_clamp = 88.0f;

}  // namespace

void activation_forward(float* x, long rows, int cols, Activation activation,
                        float leaky_relu_slope) {
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
      for (long i = 0; i < n; ++i) x[i] = x[i] < 0.0f ? leaky_relu_slope * x[i] : x[i];
      return;
    case Activation::elu:  // α = 1
      for (long i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : vector_expm1(x[i]);
      return;
    case Activation::selu:
      for (long i = 0; i < n; ++i) {
        x[i] = selu_scale * (x[i] > 0.0f ? x[i] : selu_alpha * vector_expm1(x[i]));
      }
      return;
    case Activation::gelu:  // x·Φ(x), exact (PyTorch's nn.GELU() default)
      for (long i = 0; i < n; ++i) {
        const float clamped = std::max(x[i], -gelu_clamp);
        x[i] = clamped * vector_normal_cdf(clamped);
      }
      return;
    case Activation::silu:  // x·σ(x)
      for (long i = 0; i < n; ++i) {
        const float clamped = std::max(x[i], -silu_clamp);
        x[i] = clamped * vector_logistic(clamped);
      }
      return;
    case Activation::softplus:
      for (long i = 0; i < n; ++i) x[i] = vector_softplus(x[i]);
      return;
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

void activation_backward(float* delta, const float* pre_activation, const float* output, long n,
                         Activation activation, float leaky_relu_slope) {
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
    case Activation::leaky_relu:  // with slope ≥ 0, y > 0 exactly where z > 0
      for (long i = 0; i < n; ++i) delta[i] *= output[i] > 0.0f ? 1.0f : leaky_relu_slope;
      return;
    case Activation::elu:  // eᶻ = y + 1 where z ≤ 0
      for (long i = 0; i < n; ++i) delta[i] *= output[i] > 0.0f ? 1.0f : output[i] + 1.0f;
      return;
    case Activation::selu:  // λαeᶻ = y + λα where z ≤ 0
      for (long i = 0; i < n; ++i) {
        delta[i] *= output[i] > 0.0f ? selu_scale : output[i] + selu_scale * selu_alpha;
      }
      return;
    case Activation::softplus:  // σ(z) = 1 − e^−y, without cancelling for small y
      for (long i = 0; i < n; ++i) delta[i] *= -vector_expm1(-output[i]);
      return;
    case Activation::gelu:  // Φ(z) + z·φ(z)
      for (long i = 0; i < n; ++i) {
        const float z = std::min(std::max(pre_activation[i], -gelu_clamp), gelu_clamp);
        delta[i] *= vector_normal_cdf(z) + z * vector_normal_pdf(z);
      }
      return;
    case Activation::silu:  // σ(z)·(1 + z·(1 − σ(z)))
      for (long i = 0; i < n; ++i) {
        const float z = std::min(std::max(pre_activation[i], -silu_clamp), silu_clamp);
        const float sigma = vector_logistic(z);
        delta[i] *= sigma * (1.0f + z * (1.0f - sigma));
      }
      return;
  }
}

}  // namespace fastdnn::FASTDNN_ACTIVATION_ISA
