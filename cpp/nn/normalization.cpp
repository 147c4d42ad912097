#include "nn/normalization.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fastdnn {

// Loops run rows outside, columns inside: the inner loop is contiguous and
// vectorises, and every column sums its rows in the same order whatever the
// threads, so the statistics are deterministic.

void batch_norm_forward(float* out, float* normalized, float* mean, float* variance, float* inv_std,
                        const float* inp, const float* gain, const float* shift, int B, int C,
                        float epsilon) {
  std::fill(mean, mean + C, 0.0f);
  std::fill(variance, variance + C, 0.0f);
  for (int i = 0; i < B; ++i) {
    const float* row = inp + static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) mean[j] += row[j];
  }
  const float inv_rows = 1.0f / static_cast<float>(B);
  for (int j = 0; j < C; ++j) mean[j] *= inv_rows;
  // Two passes: E[(x−μ)²] does not cancel catastrophically as E[x²]−μ² can.
  for (int i = 0; i < B; ++i) {
    const float* row = inp + static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      const float centered = row[j] - mean[j];
      variance[j] += centered * centered;
    }
  }
  for (int j = 0; j < C; ++j) {
    variance[j] *= inv_rows;
    inv_std[j] = 1.0f / std::sqrt(variance[j] + epsilon);
  }
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      const float x_hat = (inp[base + j] - mean[j]) * inv_std[j];
      normalized[base + j] = x_hat;
      out[base + j] = gain[j] * x_hat + shift[j];
    }
  }
}

void batch_norm_inference(float* out, const float* inp, const float* gain, const float* shift,
                          const float* running_mean, const float* running_variance, int B, int C,
                          float epsilon) {
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      const float inv_std = 1.0f / std::sqrt(running_variance[j] + epsilon);
      out[base + j] = gain[j] * ((inp[base + j] - running_mean[j]) * inv_std) + shift[j];
    }
  }
}

void batch_norm_backward(float* dinp, float* dgain, float* dshift, float* column_sums,
                         const float* dout, const float* normalized, const float* inv_std,
                         const float* gain, int B, int C) {
  float* sum_dout = column_sums;
  float* sum_dout_x_hat = column_sums + C;
  std::fill(column_sums, column_sums + 2 * C, 0.0f);
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      sum_dout[j] += dout[base + j];
      sum_dout_x_hat[j] += dout[base + j] * normalized[base + j];
    }
  }
  for (int j = 0; j < C; ++j) {
    dshift[j] += sum_dout[j];
    dgain[j] += sum_dout_x_hat[j];
  }
  const float rows = static_cast<float>(B);
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      dinp[base + j] =
          gain[j] * inv_std[j] / rows *
          (rows * dout[base + j] - sum_dout[j] - normalized[base + j] * sum_dout_x_hat[j]);
    }
  }
}

void weight_norm_scales(float* column_norm, float* scale, const float* direction, const float* gain,
                        int C, int OC) {
  std::fill(column_norm, column_norm + OC, 0.0f);
  for (int i = 0; i < C; ++i) {
    const float* row = direction + static_cast<long>(i) * OC;
    for (int j = 0; j < OC; ++j) column_norm[j] += row[j] * row[j];
  }
  for (int j = 0; j < OC; ++j) {
    column_norm[j] = std::sqrt(column_norm[j]);
    scale[j] = gain[j] / column_norm[j];
  }
}

void weight_norm_forward(float* out, const float* scale, const float* bias, int B, int OC) {
  for (int i = 0; i < B; ++i) {
    float* row = out + static_cast<long>(i) * OC;
    for (int j = 0; j < OC; ++j) row[j] = scale[j] * row[j] + bias[j];
  }
}

void weight_norm_backward(float* ddirection, float* dgain, const float* dscale,
                          const float* direction, const float* gain, const float* column_norm,
                          int C, int OC) {
  for (int j = 0; j < OC; ++j) dgain[j] += dscale[j] / column_norm[j];
  for (int i = 0; i < C; ++i) {
    const long base = static_cast<long>(i) * OC;
    for (int j = 0; j < OC; ++j) {
      const float norm = column_norm[j];
      ddirection[base + j] -= dscale[j] * gain[j] / (norm * norm * norm) * direction[base + j];
    }
  }
}

}  // namespace fastdnn
