// AMX bf16 product (TDPBF16PS), built with -mamx-tile -mamx-bf16 (see
// kernels.cmake) and run only where bf16_kernel_supported(amx): the CPU has
// AMX-BF16 and Linux has granted this process its register state.
#include <immintrin.h>

#include <algorithm>

#include "kernels/bf16_gemm_blocked.h"
#include "kernels/bf16_packing_avx512.h"
#include "kernels/int8_gemm.h"

namespace fastdnn::backend {

namespace bf16_blocked {
namespace {

// The tile configuration int8's AMX kernel loads (amx_begin): eight tiles of
// 16 rows × 64 bytes. Tiles 0–3: the 2×2 tiles of 16×16 float32 sums; 4–5:
// 16 rows × 32 k of A; 6–7: 16 pairs of k × 16 columns of B.
struct AmxTarget : Avx512Packing {
  static void begin() { amx_begin(); }
  static void end() { amx_end(); }
  static constexpr bool kPanels = true;
  // Chunks of k per pass over the panel's rows: the pair of B slices (two
  // 8 KiB) stays in L1 while every 32-row block of A goes past it. The sums
  // wait in `out` between passes, stored and reloaded exactly, so the order
  // of each element's sum is whole k's, as if it never left the tiles.
  static constexpr int kDepthStep = 8;
  static void panel(int rows, const Bf16* a, Index a_tile_stride, const Bf16* b,
                    Index b_block_stride, int k_chunks, float* scratch, float* out,
                    Index out_stride) {
    constexpr int kBytes = 64;  // every tile's row: 32 bf16 or 16 float32
    constexpr int kScratchBytes = 2 * kBytes;
    const Bf16* b1 = b + b_block_stride;
    for (int first = 0; first < k_chunks || first == 0; first += kDepthStep) {
      const int last = std::min(k_chunks, first + kDepthStep);
      // The last pass stores into out, the others into the scratch, whose
      // rows are adjacent where out's (rows of C) may be a page apart.
      const bool final_pass = last == k_chunks;
      for (int row = 0; row < rows; row += 32) {
        const bool two = rows - row > 16;
        float* partial = scratch + row * 32;
        const Index sums_stride = final_pass ? out_stride : 32;
        const Index sums_bytes = sums_stride * Index{sizeof(float)};
        float* sums = final_pass ? out + row * out_stride : partial;
        const Bf16* a0 = a + row / 16 * a_tile_stride;
        const Bf16* a1 = a0 + a_tile_stride;
        if (first == 0) {
          _tile_zero(0);
          _tile_zero(1);
          if (two) {
            _tile_zero(2);
            _tile_zero(3);
          }
        } else {
          _tile_loadd(0, partial, kScratchBytes);
          _tile_loadd(1, partial + 16, kScratchBytes);
          if (two) {
            _tile_loadd(2, partial + 16 * 32, kScratchBytes);
            _tile_loadd(3, partial + 16 * 32 + 16, kScratchBytes);
          }
        }
        if (two) {
          for (int q = first; q < last; ++q) {
            _tile_loadd(4, a0 + q * kTileElements, kBytes);
            _tile_loadd(5, a1 + q * kTileElements, kBytes);
            _tile_loadd(6, b + q * kTileElements, kBytes);
            _tile_loadd(7, b1 + q * kTileElements, kBytes);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
          }
          _tile_stored(2, sums + 16 * sums_stride, sums_bytes);
          _tile_stored(3, sums + 16 * sums_stride + 16, sums_bytes);
        } else {
          for (int q = first; q < last; ++q) {
            _tile_loadd(4, a0 + q * kTileElements, kBytes);
            _tile_loadd(6, b + q * kTileElements, kBytes);
            _tile_loadd(7, b1 + q * kTileElements, kBytes);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
          }
        }
        _tile_stored(0, sums, sums_bytes);
        _tile_stored(1, sums + 16, sums_bytes);
      }
    }
  }
};

}  // namespace
}  // namespace bf16_blocked

void bf16_gemm_amx(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc,
                   const GemmEpilogue& epilogue, const uint16_t* b_prepacked) {
  bf16_blocked::gemm<bf16_blocked::AmxTarget>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb,
                                              beta, c, ldc, epilogue, b_prepacked);
}

AlignedVector<uint16_t> bf16_pack_b_amx(bool transpose_b, int k, int n, const float* b, int ldb) {
  return bf16_blocked::pack_whole_b<bf16_blocked::AmxTarget>(transpose_b, k, n, b, ldb);
}

}  // namespace fastdnn::backend
