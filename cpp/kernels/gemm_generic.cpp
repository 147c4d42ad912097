#include "kernels/gemm_backends.h"

namespace fastdnn::backend {

// Portable path: for each output row, C[i,:] accumulates A[i,p]·B[p,:] over p in
// increasing order, so an element's sum order never depends on m or on threads.
void sgemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc) {
#pragma omp parallel for schedule(static) if (static_cast<long>(m) * n * k > (1L << 20))
  for (int i = 0; i < m; ++i) {
    float* c_row = c + static_cast<long>(i) * ldc;
    for (int j = 0; j < n; ++j) c_row[j] = beta == 0.0f ? 0.0f : beta * c_row[j];
    for (int p = 0; p < k; ++p) {
      const float a_ip =
          transpose_a ? a[static_cast<long>(p) * lda + i] : a[static_cast<long>(i) * lda + p];
      if (transpose_b) {
        for (int j = 0; j < n; ++j) c_row[j] += a_ip * b[static_cast<long>(j) * ldb + p];
      } else {
        const float* b_row = b + static_cast<long>(p) * ldb;
        for (int j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
      }
    }
  }
}

}  // namespace fastdnn::backend
