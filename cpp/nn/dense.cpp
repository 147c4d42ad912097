#include "nn/dense.h"

#include <algorithm>

#include "kernels/gemm.h"

namespace fastdnn {

void dense_forward(float* out, const float* inp, const float* weight, const float* bias, int B,
                   int C, int OC) {
  for (int i = 0; i < B; ++i) std::copy(bias, bias + OC, out + static_cast<long>(i) * OC);
  sgemm(false, false, B, OC, C, inp, C, weight, OC, 1.0f, out, OC);
}

void dense_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                    const float* weight, int B, int C, int OC) {
  if (dinp != nullptr) sgemm(false, true, B, C, OC, dout, OC, weight, OC, 0.0f, dinp, C);
  sgemm(true, false, C, OC, B, inp, C, dout, OC, 1.0f, dweight, OC);
  // Rows in a fixed order, so the bias gradient is the same whatever the threads.
  for (int i = 0; i < B; ++i) {
    const float* row = dout + static_cast<long>(i) * OC;
    for (int j = 0; j < OC; ++j) dbias[j] += row[j];
  }
}

}  // namespace fastdnn
