// Portable backend for CPUs without AVX2 (and non-x86 builds): the same
// blocking with a plain-C++ 4×8 tile the compiler may vectorise. It rounds a
// multiply and an add separately (no fused multiply-add is assumed), in the
// same order in every path, so it keeps gemm.h's contract on its own terms.
#include "kernels/gemm_backends.h"
#include "kernels/gemm_driver.h"

namespace fastdnn::backend {

namespace {

struct GenericKernel {
  static constexpr int MR = 4;
  static constexpr int NR = 8;

  static float multiply_add(float x, float y, float z) { return x * y + z; }

  // c (4,8) ← packed_a (kc,4)ᵀ · packed_b (kc,8), folded as in gemm_driver.h
  static void micro_kernel(int kc, const float* packed_a, const float* packed_b, float* c, long ldc,
                           float beta) {
    float accumulators[MR][NR] = {};
    for (int p = 0; p < kc; ++p) {
      for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < NR; ++j) {
          accumulators[i][j] =
              multiply_add(packed_a[p * MR + i], packed_b[p * NR + j], accumulators[i][j]);
        }
      }
    }
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j) {
        float& target = c[i * ldc + j];
        target = beta == 0.0f ? accumulators[i][j] : multiply_add(beta, target, accumulators[i][j]);
      }
    }
  }

  // c (8) ← Σ_p a[p·a_stride] · b[p·ldb .. +8], folded as in gemm_driver.h
  static void row_block(int kc, const float* a, long a_stride, const float* b, long ldb, float* c,
                        float beta) {
    float accumulators[NR] = {};
    for (int p = 0; p < kc; ++p) {
      for (int j = 0; j < NR; ++j) {
        accumulators[j] = multiply_add(a[p * a_stride], b[p * ldb + j], accumulators[j]);
      }
    }
    for (int j = 0; j < NR; ++j) {
      c[j] = beta == 0.0f ? accumulators[j] : multiply_add(beta, c[j], accumulators[j]);
    }
  }
};

}  // namespace

void sgemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc) {
  gemm_detail::sgemm<GenericKernel>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c,
                                    ldc);
}

}  // namespace fastdnn::backend
