// AVX-512 backend: a 12×32 register tile (24 zmm accumulators).
#include <immintrin.h>

#include <cmath>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_driver.h"

namespace fastdnn::backend {

namespace {

struct Avx512Kernel {
  static constexpr int MR = 12;
  static constexpr int NR = 32;

  static float multiply_add(float x, float y, float z) { return std::fma(x, y, z); }

  // Folds the accumulators into C: C = acc, or fma(beta, C, acc).
  static void store(float* c, __m512 accumulated, __m512 beta_vector, float beta) {
    _mm512_storeu_ps(c, beta == 0.0f
                            ? accumulated
                            : _mm512_fmadd_ps(beta_vector, _mm512_loadu_ps(c), accumulated));
  }

  // c (12,32) ← packed_a (kc,12)ᵀ · packed_b (kc,32), folded as in gemm_driver.h
  // Kept out of line: inlined into compute_tile, GCC spills the accumulators
  // to the stack on every iteration (measured: 30 instead of 150 GFLOP/s).
  [[gnu::noinline]] static void micro_kernel(int kc, const float* packed_a, const float* packed_b,
                                             float* c, long ldc, float beta) {
    __m512 accumulators[MR][2];
    for (auto& row : accumulators) row[0] = row[1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; ++p) {
      const __m512 b_low = _mm512_load_ps(packed_b + p * NR);
      const __m512 b_high = _mm512_load_ps(packed_b + p * NR + 16);
      for (int i = 0; i < MR; ++i) {
        const __m512 a = _mm512_set1_ps(packed_a[p * MR + i]);
        accumulators[i][0] = _mm512_fmadd_ps(a, b_low, accumulators[i][0]);
        accumulators[i][1] = _mm512_fmadd_ps(a, b_high, accumulators[i][1]);
      }
    }
    const __m512 beta_vector = _mm512_set1_ps(beta);
    for (int i = 0; i < MR; ++i) {
      store(c + i * ldc, accumulators[i][0], beta_vector, beta);
      store(c + i * ldc + 16, accumulators[i][1], beta_vector, beta);
    }
  }

  // c (32) ← Σ_p a[p·a_stride] · b[p·ldb .. +32], folded as in gemm_driver.h
  static void row_block(int kc, const float* a, long a_stride, const float* b, long ldb, float* c,
                        float beta) {
    __m512 low = _mm512_setzero_ps(), high = _mm512_setzero_ps();
    for (int p = 0; p < kc; ++p) {
      const __m512 a_value = _mm512_set1_ps(a[p * a_stride]);
      low = _mm512_fmadd_ps(a_value, _mm512_loadu_ps(b + p * ldb), low);
      high = _mm512_fmadd_ps(a_value, _mm512_loadu_ps(b + p * ldb + 16), high);
    }
    const __m512 beta_vector = _mm512_set1_ps(beta);
    store(c, low, beta_vector, beta);
    store(c + 16, high, beta_vector, beta);
  }
};

}  // namespace

void sgemm_avx512(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc) {
  gemm_detail::sgemm<Avx512Kernel>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace fastdnn::backend
