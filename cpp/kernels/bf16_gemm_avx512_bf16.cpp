// AVX512-BF16 product (VDPBF16PS), built with -mavx512f -mavx512bw
// -mavx512bf16 (see kernels.cmake) and run only where
// bf16_kernel_supported(avx512_bf16).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/bf16_gemm_blocked.h"
#include "kernels/bf16_packing_avx512.h"

namespace fastdnn::backend {

namespace bf16_blocked {
namespace {

// 8 rows × 2 column blocks per pass: 16 accumulators and 2 B vectors; each
// row's pair of k is broadcast from memory into the dot products.
struct Avx512Bf16Target : Avx512Packing {
  static constexpr int kRows = 8;
  static constexpr bool kPanels = false;
  static void begin() {}
  static void end() {}
  static void block(int rows, const Bf16* a, Index a_tile_stride, const Bf16* b,
                    Index b_block_stride, int k_chunks, float* out) {
    for (int first = 0; first < rows; first += kRows) {
      const Bf16* a_rows = a + (first / kTileRows) * a_tile_stride + (first % kTileRows) * kChunk;
      __m512 sum[kRows][2];
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) sum[r][0] = sum[r][1] = _mm512_setzero_ps();
      for (int q = 0; q < k_chunks; ++q) {
        const Bf16* a_chunk = a_rows + q * kTileElements;
        const Bf16* b0 = b + q * kTileElements;
        const Bf16* b1 = b0 + b_block_stride;
        for (int s = 0; s < kChunk / 2; ++s) {
          const auto pair0 = (__m512bh)_mm512_loadu_si512(b0 + s * 2 * kBlockWidth);
          const auto pair1 = (__m512bh)_mm512_loadu_si512(b1 + s * 2 * kBlockWidth);
#pragma GCC unroll 8
          for (int r = 0; r < kRows; ++r) {
            int32_t a_pair;
            std::memcpy(&a_pair, a_chunk + r * kChunk + 2 * s, sizeof a_pair);
            const auto a_value = (__m512bh)_mm512_set1_epi32(a_pair);
            sum[r][0] = _mm512_dpbf16_ps(sum[r][0], a_value, pair0);
            sum[r][1] = _mm512_dpbf16_ps(sum[r][1], a_value, pair1);
          }
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        float* row = out + (first + r) * 2 * kBlockWidth;
        _mm512_storeu_ps(row, sum[r][0]);
        _mm512_storeu_ps(row + kBlockWidth, sum[r][1]);
      }
    }
  }
};

}  // namespace
}  // namespace bf16_blocked

void bf16_gemm_avx512_bf16(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                           int lda, const float* b, int ldb, float beta, float* c, int ldc,
                           const GemmEpilogue& epilogue, const uint16_t* b_prepacked) {
  bf16_blocked::gemm<bf16_blocked::Avx512Bf16Target>(transpose_a, transpose_b, m, n, k, a, lda, b,
                                                     ldb, beta, c, ldc, epilogue, b_prepacked);
}

AlignedVector<uint16_t> bf16_pack_b_avx512_bf16(bool transpose_b, int k, int n, const float* b,
                                                int ldb) {
  return bf16_blocked::pack_whole_b<bf16_blocked::Avx512Bf16Target>(transpose_b, k, n, b, ldb);
}

}  // namespace fastdnn::backend
