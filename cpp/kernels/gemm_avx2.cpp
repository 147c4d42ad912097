// AVX2 + FMA path, built with -mavx2 -mfma (see kernels.cmake) and only run
// where cpu_supports(Isa::avx2).
#include <immintrin.h>

#include <cstddef>

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
  // Products of up to 16 rows against an untransposed B read it in place, in
  // passes of up to 6 rows (see sgemm_in_place).
  static constexpr int kFewRows = 6, kInPlaceRows = 16;
  static Vector zero() { return _mm256_setzero_ps(); }
  static Vector load(const float* source) { return _mm256_loadu_ps(source); }
  static void store(float* destination, Vector value) { _mm256_storeu_ps(destination, value); }
  static Vector broadcast(float value) { return _mm256_set1_ps(value); }
  // The first `count` (0..8) floats at source, zeros after, and their store:
  // masked, so they never touch memory past them.
  static __m256i first_lanes(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Vector load_first(const float* source, int count) {
    return _mm256_maskload_ps(source, first_lanes(count));
  }
  static void store_first(float* destination, Vector value, int count) {
    _mm256_maskstore_ps(destination, first_lanes(count), value);
  }
  static Vector multiply_add(Vector a, Vector b, Vector c) { return _mm256_fmadd_ps(a, b, c); }

  // destination[j·destination_stride + i] ← source[i·source_stride + j], 8×8:
  // 32-bit then 64-bit interleaves give each 128-bit lane a column's 4 rows,
  // and a lane swap joins the halves.
  static void transpose(const float* source, std::ptrdiff_t source_stride, float* destination,
                        std::ptrdiff_t destination_stride) {
    __m256 pairs[8];
    for (int i = 0; i < 8; i += 2) {
      const __m256 upper = load(source + i * source_stride);
      const __m256 lower = load(source + (i + 1) * source_stride);
      pairs[i] = _mm256_unpacklo_ps(upper, lower);
      pairs[i + 1] = _mm256_unpackhi_ps(upper, lower);
    }
    __m256 quads[8];  // quads[4h + c], lane l: rows 4h..4h+3 of column 4l + c
    for (int h = 0; h < 2; ++h) {
      const __m256d pair[4] = {_mm256_castps_pd(pairs[4 * h]), _mm256_castps_pd(pairs[4 * h + 1]),
                               _mm256_castps_pd(pairs[4 * h + 2]),
                               _mm256_castps_pd(pairs[4 * h + 3])};
      quads[4 * h + 0] = _mm256_castpd_ps(_mm256_unpacklo_pd(pair[0], pair[2]));
      quads[4 * h + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(pair[0], pair[2]));
      quads[4 * h + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(pair[1], pair[3]));
      quads[4 * h + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(pair[1], pair[3]));
    }
    for (int c = 0; c < 4; ++c) {
      store(destination + c * destination_stride,
            _mm256_permute2f128_ps(quads[c], quads[4 + c], 0x20));
      store(destination + (4 + c) * destination_stride,
            _mm256_permute2f128_ps(quads[c], quads[4 + c], 0x31));
    }
  }
};

}  // namespace

void sgemm_avx2(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc,
                const GemmEpilogue& epilogue) {
  blocked::sgemm<Avx2Target>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                             epilogue);
}

}  // namespace fastdnn::backend
