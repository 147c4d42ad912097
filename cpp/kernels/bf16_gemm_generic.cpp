// Portable bf16 product: any CPU, any compiler. Built with
// -ffp-contract=off (kernels.cmake), though a product of two bfloat16 values
// is exact in float32 and a fused multiply-add would round the same.
#include "kernels/bf16_gemm_blocked.h"

namespace fastdnn::backend {

namespace bf16_blocked {
namespace {

struct GenericTarget {
  static constexpr bool kVectorPacking = false;
  static constexpr bool kPanels = false;
  static void begin() {}
  static void end() {}
  // Each element sums a pair of k at a time, its odd product first, as
  // VDPBF16PS is specified to; a row of 32 sums at a time so that the
  // columns vectorize.
  static void block(int rows, const Bf16* a, Index a_tile_stride, const Bf16* b,
                    Index b_block_stride, int k_chunks, float* out) {
    for (int r = 0; r < rows; ++r) {
      float sum[2 * kBlockWidth] = {};
      const Bf16* a_row = a + (r / kTileRows) * a_tile_stride + (r % kTileRows) * kChunk;
      for (int q = 0; q < k_chunks; ++q) {
        for (int s = 0; s < kChunk / 2; ++s) {
          const float even = to_float(a_row[q * kTileElements + 2 * s]);
          const float odd = to_float(a_row[q * kTileElements + 2 * s + 1]);
          for (int half = 0; half < 2; ++half) {
            const Bf16* pair = b + half * b_block_stride + q * kTileElements + s * 2 * kBlockWidth;
            float* half_sum = sum + half * kBlockWidth;
            for (int j = 0; j < kBlockWidth; ++j) {
              half_sum[j] += odd * to_float(pair[2 * j + 1]);
              half_sum[j] += even * to_float(pair[2 * j]);
            }
          }
        }
      }
      std::memcpy(out + r * 2 * kBlockWidth, sum, sizeof sum);
    }
  }
};

}  // namespace
}  // namespace bf16_blocked

void bf16_gemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                       int lda, const float* b, int ldb, float beta, float* c, int ldc,
                       const GemmEpilogue& epilogue, const uint16_t* b_prepacked) {
  bf16_blocked::gemm<bf16_blocked::GenericTarget>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb,
                                                  beta, c, ldc, epilogue, b_prepacked);
}

AlignedVector<uint16_t> bf16_pack_b_generic(bool transpose_b, int k, int n, const float* b,
                                            int ldb) {
  return bf16_blocked::pack_whole_b<bf16_blocked::GenericTarget>(transpose_b, k, n, b, ldb);
}

}  // namespace fastdnn::backend
