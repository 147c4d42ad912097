// AVX-512 path, built with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma
// (see kernels.cmake) and only run where cpu_supports(Isa::avx512).
#include <immintrin.h>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_blocked.h"

namespace fastdnn::backend {

namespace {

// 14×32 micro-tile: 28 accumulators and 2 B vectors of the 32 zmm registers;
// A values are broadcast straight from memory into the FMAs. KC·NR·4 = 32 KiB
// for a B micro-panel fits a 48 KiB L1; an MC×KC A block (168 KiB) sits in L2.
struct Avx512Target {
  using Vector = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kAccumulators = 28;
  static constexpr int MR = 14, NR = 32;
  static constexpr int KC = 256, MC = 168, NC = 2048;
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
