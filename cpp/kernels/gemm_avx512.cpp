// AVX-512 path, built with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma
// (see kernels.cmake) and only run where cpu_supports(Isa::avx512).
#include <immintrin.h>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_blocked.h"

namespace fastdnn::backend {

namespace {

// 14×32 micro-tile: 28 accumulators and 2 B vectors of the 32 zmm registers;
// A values are broadcast straight from memory into the FMAs. An A micro-panel
// (MR rows × KC, 14 KiB) stays in a 48 KiB L1 while the packed B block
// (KC×NC·4 = 512 KiB, a quarter to a half of an AVX-512 core's L2) streams
// past it; 2048 columns, a whole 2 MiB L2, measured no faster on 1024-wide
// layers.
struct Avx512Target {
  using Vector = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kAccumulators = 28;
  static constexpr int MR = 14, NR = 32;
  static constexpr int KC = 256, NC = 512;
  static Vector zero() { return _mm512_setzero_ps(); }
  static Vector load(const float* source) { return _mm512_loadu_ps(source); }
  static void store(float* destination, Vector value) { _mm512_storeu_ps(destination, value); }
  static Vector broadcast(float value) { return _mm512_set1_ps(value); }
  static Vector multiply_add(Vector a, Vector b, Vector c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

void sgemm_avx512(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc,
                  const GemmEpilogue& epilogue) {
  blocked::sgemm<Avx512Target>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                               epilogue);
}

}  // namespace fastdnn::backend
