// AMX int8 product, built with -mamx-tile -mamx-int8 (see kernels.cmake) and
// run only where int8_kernel_supported(amx): the CPU has AMX and Linux has
// granted this process its register state.
#include <immintrin.h>

#include <cstdint>

#include "kernels/int8_gemm.h"

namespace fastdnn::backend {

namespace {

// The layout LDTILECFG reads (palette 1): bytes per row and rows of each tile.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0–3: the 2×2 blocks of 16×16 int32 sums; 4–5: 16 rows × 64 bytes of
// a; 6–7: 16 groups of 4 rows × 16 columns of b. Every tile is 16 × 64 bytes.
TileConfig full_tiles() {
  TileConfig config;
  for (int tile = 0; tile < 8; ++tile) {
    config.bytes_per_row[tile] = 64;
    config.rows[tile] = 16;
  }
  return config;
}

}  // namespace

void amx_begin() {
  static const TileConfig config = full_tiles();
  _tile_loadconfig(&config);
}

// Leaves the AMX state unused, so context switches do not save its 8 KiB.
void amx_end() {
  _tile_release();
}

void int8_gemm_amx(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                   const Int8PackedWeights& b, int32_t* c, long ldc) {
  constexpr long kTileBytes = 16 * 64;  // 64 rows of b by 16 columns
  const int depth_chunks = b.padded_rows() / 64;
  const int8_t* b0 = b.block(first_block);
  const int8_t* b1 = b.block(first_block + 1);
  const uint8_t* a0 = a + first_row * lda;
  const uint8_t* a1 = a0 + 16 * lda;
  int32_t* c0 = c + first_row * ldc + first_block * Int8PackedWeights::kColumnBlock;
  int32_t* c1 = c0 + 16 * ldc;
  const long c_stride = ldc * static_cast<long>(sizeof(int32_t));
  _tile_zero(0);
  _tile_zero(1);
  if (rows == 32) {
    _tile_zero(2);
    _tile_zero(3);
    for (int chunk = 0; chunk < depth_chunks; ++chunk) {
      _tile_loadd(4, a0 + chunk * 64, lda);
      _tile_loadd(5, a1 + chunk * 64, lda);
      _tile_loadd(6, b0 + chunk * kTileBytes, 64);
      _tile_loadd(7, b1 + chunk * kTileBytes, 64);
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
    _tile_stored(2, c1, c_stride);
    _tile_stored(3, c1 + 16, c_stride);
  } else {
    for (int chunk = 0; chunk < depth_chunks; ++chunk) {
      _tile_loadd(4, a0 + chunk * 64, lda);
      _tile_loadd(6, b0 + chunk * kTileBytes, 64);
      _tile_loadd(7, b1 + chunk * kTileBytes, 64);
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
    }
  }
  _tile_stored(0, c0, c_stride);
  _tile_stored(1, c0 + 16, c_stride);
}

}  // namespace fastdnn::backend
