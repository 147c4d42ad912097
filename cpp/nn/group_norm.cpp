#include "nn/group_norm.h"

#include <cmath>

namespace fastdnn {

// Each group sums its units in order, one row at a time: a row's result is
// the same in any batch and on any thread.

void group_norm_forward(float* out, float* normalized, float* inv_std, const float* inp,
                        const float* gain, const float* shift, int B, int C, int groups,
                        float epsilon) {
  const int width = C / groups;
  for (int i = 0; i < B; ++i) {
    for (int g = 0; g < groups; ++g) {
      const long base = static_cast<long>(i) * C + static_cast<long>(g) * width;
      const float* row = inp + base;
      float* out_row = out + base;
      const float* group_gain = gain + g * width;
      const float* group_shift = shift + g * width;
      float mean = 0.0f;
      for (int j = 0; j < width; ++j) mean += row[j];
      mean /= static_cast<float>(width);
      float variance = 0.0f;
      for (int j = 0; j < width; ++j) variance += (row[j] - mean) * (row[j] - mean);
      const float group_inv_std = 1.0f / std::sqrt(variance / static_cast<float>(width) + epsilon);
      if (normalized != nullptr) {
        inv_std[static_cast<long>(i) * groups + g] = group_inv_std;
        float* normalized_row = normalized + base;
        for (int j = 0; j < width; ++j) normalized_row[j] = (row[j] - mean) * group_inv_std;
      }
      for (int j = 0; j < width; ++j) {
        out_row[j] = group_gain[j] * ((row[j] - mean) * group_inv_std) + group_shift[j];
      }
    }
  }
}

void group_norm_backward(float* dinp, float* dgain, float* dshift, const float* dout,
                         const float* normalized, const float* inv_std, const float* gain, int B,
                         int C, int groups) {
  const int width = C / groups;
  for (int i = 0; i < B; ++i) {
    for (int g = 0; g < groups; ++g) {
      const long base = static_cast<long>(i) * C + static_cast<long>(g) * width;
      const int first = g * width;
      float mean_d = 0.0f;
      float mean_d_x_hat = 0.0f;
      for (int j = 0; j < width; ++j) {
        const float d = gain[first + j] * dout[base + j];
        mean_d += d;
        mean_d_x_hat += d * normalized[base + j];
        dgain[first + j] += dout[base + j] * normalized[base + j];
        dshift[first + j] += dout[base + j];
      }
      mean_d /= static_cast<float>(width);
      mean_d_x_hat /= static_cast<float>(width);
      const float group_inv_std = inv_std[static_cast<long>(i) * groups + g];
      for (int j = 0; j < width; ++j) {
        dinp[base + j] = group_inv_std * (gain[first + j] * dout[base + j] - mean_d -
                                          normalized[base + j] * mean_d_x_hat);
      }
    }
  }
}

}  // namespace fastdnn
