// AVX2 + FMA path, built with -mavx2 -mfma (see kernels.cmake) and only run
// where cpu_supports(Isa::avx2).
#include <immintrin.h>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_blocked.h"

namespace fastdnn::backend {

namespace {

// 6×16 micro-tile: 12 accumulators, 2 B vectors and 1 broadcast A value fill
// the 16 ymm registers. An A micro-panel (MR rows × KC, 6 KiB) stays in L1
// while the packed B block (KC×NC·4 = 256 KiB, within the L2 of AVX2 CPUs
// from 256 KiB up) streams past it.
struct Avx2Target {
  using Vector = __m256;
  static constexpr int kWidth = 8;
  static constexpr int kAccumulators = 12;
  static constexpr int MR = 6, NR = 16;
  static constexpr int KC = 256, NC = 256;
  static Vector zero() { return _mm256_setzero_ps(); }
  static Vector load(const float* source) { return _mm256_loadu_ps(source); }
  static void store(float* destination, Vector value) { _mm256_storeu_ps(destination, value); }
  static Vector broadcast(float value) { return _mm256_set1_ps(value); }
  static Vector multiply_add(Vector a, Vector b, Vector c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

void sgemm_avx2(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc,
                const GemmEpilogue& epilogue) {
  blocked::sgemm<Avx2Target>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                             epilogue);
}

}  // namespace fastdnn::backend
