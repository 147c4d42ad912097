// AVX-512 path, built with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma
// (see kernels.cmake) and only run where cpu_supports(Isa::avx512).
#include <immintrin.h>

#include <cstddef>

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
  // Products of up to 32 rows against an untransposed B read it in place, in
  // passes of up to 7 rows, 4 vectors of columns each (see sgemm_in_place).
  static constexpr int kFewRows = 7, kInPlaceRows = 32;
  static Vector zero() { return _mm512_setzero_ps(); }
  static Vector load(const float* source) { return _mm512_loadu_ps(source); }
  static void store(float* destination, Vector value) { _mm512_storeu_ps(destination, value); }
  static Vector broadcast(float value) { return _mm512_set1_ps(value); }
  // The first `count` (0..16) floats at source, zeros after, and their store:
  // masked, so they never touch memory past them.
  static __mmask16 first_lanes(int count) { return static_cast<__mmask16>((1u << count) - 1); }
  static Vector load_first(const float* source, int count) {
    return _mm512_maskz_loadu_ps(first_lanes(count), source);
  }
  static void store_first(float* destination, Vector value, int count) {
    _mm512_mask_storeu_ps(destination, first_lanes(count), value);
  }
  static Vector multiply_add(Vector a, Vector b, Vector c) { return _mm512_fmadd_ps(a, b, c); }

  // destination[j·destination_stride + i] ← source[i·source_stride + j],
  // 16×16: 32-bit then 64-bit interleaves give each 128-bit lane a column's 4
  // rows, and two rounds of lane shuffles gather a column's 4 lanes.
  static void transpose(const float* source, std::ptrdiff_t source_stride, float* destination,
                        std::ptrdiff_t destination_stride) {
    __m512 pairs[16];
    for (int i = 0; i < 16; i += 2) {
      const __m512 upper = load(source + i * source_stride);
      const __m512 lower = load(source + (i + 1) * source_stride);
      // vunpcklps and vunpckhps, written as shuffles: GCC 12's intrinsics for
      // them warn that their own placeholder operand is uninitialised (GCC
      // bug 105593).
      pairs[i] = __builtin_shufflevector(upper, lower, 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12,
                                         28, 13, 29);
      pairs[i + 1] = __builtin_shufflevector(upper, lower, 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11,
                                             27, 14, 30, 15, 31);
    }
    __m512 quads[16];  // quads[4h + c], lane l: rows 4h..4h+3 of column 4l + c
    for (int h = 0; h < 4; ++h) {
      const __m512d pair[4] = {_mm512_castps_pd(pairs[4 * h]), _mm512_castps_pd(pairs[4 * h + 1]),
                               _mm512_castps_pd(pairs[4 * h + 2]),
                               _mm512_castps_pd(pairs[4 * h + 3])};
      // vunpcklpd and vunpckhpd.
      const auto low = [](__m512d a, __m512d b) {
        return _mm512_castpd_ps(__builtin_shufflevector(a, b, 0, 8, 2, 10, 4, 12, 6, 14));
      };
      const auto high = [](__m512d a, __m512d b) {
        return _mm512_castpd_ps(__builtin_shufflevector(a, b, 1, 9, 3, 11, 5, 13, 7, 15));
      };
      quads[4 * h + 0] = low(pair[0], pair[2]);
      quads[4 * h + 1] = high(pair[0], pair[2]);
      quads[4 * h + 2] = low(pair[1], pair[3]);
      quads[4 * h + 3] = high(pair[1], pair[3]);
    }
    // 128-bit lanes of two vectors: 0,1 of a then 0,1 of b; 2,3 and 2,3; the
    // even ones; the odd ones (vshuff32x4).
    const auto low_halves = [](__m512 a, __m512 b) {
      return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    };
    const auto high_halves = [](__m512 a, __m512 b) {
      return __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30,
                                     31);
    };
    const auto even_lanes = [](__m512 a, __m512 b) {
      return __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26,
                                     27);
    };
    const auto odd_lanes = [](__m512 a, __m512 b) {
      return __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30,
                                     31);
    };
    for (int c = 0; c < 4; ++c) {
      const __m512 low_01 = low_halves(quads[c], quads[4 + c]);
      const __m512 high_01 = high_halves(quads[c], quads[4 + c]);
      const __m512 low_23 = low_halves(quads[8 + c], quads[12 + c]);
      const __m512 high_23 = high_halves(quads[8 + c], quads[12 + c]);
      store(destination + c * destination_stride, even_lanes(low_01, low_23));
      store(destination + (4 + c) * destination_stride, odd_lanes(low_01, low_23));
      store(destination + (8 + c) * destination_stride, even_lanes(high_01, high_23));
      store(destination + (12 + c) * destination_stride, odd_lanes(high_01, high_23));
    }
  }
};

}  // namespace

void sgemm_avx512(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc,
                  const GemmEpilogue& epilogue) {
  blocked::sgemm<Avx512Target>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                               epilogue);
}

}  // namespace fastdnn::backend
