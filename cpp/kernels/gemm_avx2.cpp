// AVX2 + FMA backend: a 6×16 register tile (12 ymm accumulators).
#include <immintrin.h>

#include <cmath>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_driver.h"

namespace fastdnn::backend {

namespace {

struct Avx2Kernel {
  static constexpr int MR = 6;
  static constexpr int NR = 16;

  static float multiply_add(float x, float y, float z) { return std::fma(x, y, z); }

  // Folds the accumulators into C: C = acc, or fma(beta, C, acc).
  static void store(float* c, __m256 accumulated, __m256 beta_vector, float beta) {
    _mm256_storeu_ps(c, beta == 0.0f
                            ? accumulated
                            : _mm256_fmadd_ps(beta_vector, _mm256_loadu_ps(c), accumulated));
  }

  // c (6,16) ← packed_a (kc,6)ᵀ · packed_b (kc,16), folded as in gemm_driver.h
  // Kept out of line, and with one named variable per accumulator: inlined
  // into compute_tile, or holding them in an array, GCC spilled them to the
  // stack on every iteration (measured: 30 instead of 150 GFLOP/s).
  [[gnu::noinline]] static void micro_kernel(int kc, const float* packed_a, const float* packed_b,
                                             float* c, long ldc, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int p = 0; p < kc; ++p) {
      const __m256 b_low = _mm256_load_ps(packed_b + p * NR);
      const __m256 b_high = _mm256_load_ps(packed_b + p * NR + 8);
      const float* a = packed_a + p * MR;
      __m256 a_value = _mm256_broadcast_ss(a + 0);
      c00 = _mm256_fmadd_ps(a_value, b_low, c00);
      c01 = _mm256_fmadd_ps(a_value, b_high, c01);
      a_value = _mm256_broadcast_ss(a + 1);
      c10 = _mm256_fmadd_ps(a_value, b_low, c10);
      c11 = _mm256_fmadd_ps(a_value, b_high, c11);
      a_value = _mm256_broadcast_ss(a + 2);
      c20 = _mm256_fmadd_ps(a_value, b_low, c20);
      c21 = _mm256_fmadd_ps(a_value, b_high, c21);
      a_value = _mm256_broadcast_ss(a + 3);
      c30 = _mm256_fmadd_ps(a_value, b_low, c30);
      c31 = _mm256_fmadd_ps(a_value, b_high, c31);
      a_value = _mm256_broadcast_ss(a + 4);
      c40 = _mm256_fmadd_ps(a_value, b_low, c40);
      c41 = _mm256_fmadd_ps(a_value, b_high, c41);
      a_value = _mm256_broadcast_ss(a + 5);
      c50 = _mm256_fmadd_ps(a_value, b_low, c50);
      c51 = _mm256_fmadd_ps(a_value, b_high, c51);
    }
    const __m256 beta_vector = _mm256_set1_ps(beta);
    store(c + 0 * ldc, c00, beta_vector, beta);
    store(c + 0 * ldc + 8, c01, beta_vector, beta);
    store(c + 1 * ldc, c10, beta_vector, beta);
    store(c + 1 * ldc + 8, c11, beta_vector, beta);
    store(c + 2 * ldc, c20, beta_vector, beta);
    store(c + 2 * ldc + 8, c21, beta_vector, beta);
    store(c + 3 * ldc, c30, beta_vector, beta);
    store(c + 3 * ldc + 8, c31, beta_vector, beta);
    store(c + 4 * ldc, c40, beta_vector, beta);
    store(c + 4 * ldc + 8, c41, beta_vector, beta);
    store(c + 5 * ldc, c50, beta_vector, beta);
    store(c + 5 * ldc + 8, c51, beta_vector, beta);
  }

  // c (16) ← Σ_p a[p·a_stride] · b[p·ldb .. +16], folded as in gemm_driver.h
  static void row_block(int kc, const float* a, long a_stride, const float* b, long ldb, float* c,
                        float beta) {
    __m256 low = _mm256_setzero_ps(), high = _mm256_setzero_ps();
    for (int p = 0; p < kc; ++p) {
      const __m256 a_value = _mm256_set1_ps(a[p * a_stride]);
      low = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b + p * ldb), low);
      high = _mm256_fmadd_ps(a_value, _mm256_loadu_ps(b + p * ldb + 8), high);
    }
    const __m256 beta_vector = _mm256_set1_ps(beta);
    store(c, low, beta_vector, beta);
    store(c + 8, high, beta_vector, beta);
  }
};

}  // namespace

void sgemm_avx2(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc) {
  gemm_detail::sgemm<Avx2Kernel>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace fastdnn::backend
