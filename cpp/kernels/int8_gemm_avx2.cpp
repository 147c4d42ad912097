// AVX2 int8 product, built with -mavx2 -mfma (see kernels.cmake) and run only
// where cpu_supports(Isa::avx2). Without VNNI's 4-way byte dot product, codes
// widen to 16 bits and vpmaddwd sums pairs of products into 32 bits: exact,
// where vpmaddubsw's 16-bit sums would saturate at 255·127·2.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/int8_gemm.h"

namespace fastdnn::backend {

namespace {

// A tile of 4 to 6 rows is 8 columns wide: 12 accumulators, 2 weight vectors
// and a broadcast fill the 16 ymm registers. The rows' codes are widened to 16
// bits once per tile and stretch of depth, then read by every column tile
// of a block pair: widening them inside the loop, once per column tile, held
// the product well below what vpmaddwd issues (docs/int8_inference.md).
constexpr int kTileRows = 6;
// Groups of 4 rows of the depth widened at a time: 6 rows of 1,024 codes,
// 12 KiB of 16-bit values, stay in L1 beside a block's weights.
constexpr int kStretchGroups = 256;

// c (R, 8·Quads) ←, or += with accumulate, rows × the weights of a column
// tile, Quads groups of 4 columns, over `groups` groups. sums[r][q] holds,
// for columns 4q..4q+3, two partial sums per column (the group's rows 0 and
// 1, and 2 and 3).
template <int R, int Quads>
void tile(const int16_t* codes, const int8_t* weights, int groups, int32_t* c, long ldc,
          bool accumulate) {
  __m256i sums[R][Quads];
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < Quads; ++q) sums[r][q] = _mm256_setzero_si256();
  }
  for (int group = 0; group < groups; ++group) {
    const auto* source = reinterpret_cast<const __m128i*>(weights + group * 64);
    __m256i quads[Quads];
    for (int q = 0; q < Quads; ++q) quads[q] = _mm256_cvtepi8_epi16(_mm_load_si128(source + q));
    for (int r = 0; r < R; ++r) {
      long long four;  // the row's 4 codes of the group, as 16-bit values
      std::memcpy(&four, codes + r * kStretchGroups * 4 + group * 4, sizeof four);
      const __m256i row = _mm256_set1_epi64x(four);
      for (int q = 0; q < Quads; ++q) {
        sums[r][q] = _mm256_add_epi32(sums[r][q], _mm256_madd_epi16(row, quads[q]));
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < Quads; q += 2) {
      // hadd pairs the partial sums within 128-bit lanes: columns 0 1 4 5 | 2 3 6 7.
      const __m256i paired = _mm256_hadd_epi32(sums[r][q], sums[r][q + 1]);
      __m256i ordered = _mm256_permute4x64_epi64(paired, 0b11011000);
      auto* destination = reinterpret_cast<__m256i*>(c + r * ldc + 4 * q);
      if (accumulate) ordered = _mm256_add_epi32(ordered, _mm256_loadu_si256(destination));
      _mm256_storeu_si256(destination, ordered);
    }
  }
}

// One 16-column block for `rows` (1..6) rows. Up to 3 rows take the block in
// one tile, 4 weight vectors for 12 accumulators, so that each group's cache
// line of weights is read once: a single row streams the weights from L2.
// More rows go in two 8-column tiles, 2 weight vectors for up to 12.
void block_of(int rows, const int16_t* codes, const int8_t* block, int groups, int32_t* c, long ldc,
              bool accumulate) {
  switch (rows) {
    case 1:
      return tile<1, 4>(codes, block, groups, c, ldc, accumulate);
    case 2:
      return tile<2, 4>(codes, block, groups, c, ldc, accumulate);
    case 3:
      return tile<3, 4>(codes, block, groups, c, ldc, accumulate);
    default:
      break;
  }
  for (int half = 0; half < 2; ++half) {
    // Columns 8·half .. 8·half + 7: quads 2·half and 2·half + 1 of each group.
    const int8_t* weights = block + 32 * half;
    int32_t* columns = c + 8 * half;
    switch (rows) {
      case 4:
        tile<4, 2>(codes, weights, groups, columns, ldc, accumulate);
        break;
      case 5:
        tile<5, 2>(codes, weights, groups, columns, ldc, accumulate);
        break;
      default:
        tile<6, 2>(codes, weights, groups, columns, ldc, accumulate);
    }
  }
}

}  // namespace

void int8_gemm_avx2(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                    const Int8PackedWeights& b, int32_t* c, long ldc) {
  constexpr int kBlock = Int8PackedWeights::kColumnBlock;
  alignas(32) int16_t codes[kTileRows * kStretchGroups * 4];
  const int groups = b.padded_rows() / 4;
  for (int row = first_row; row < first_row + rows; row += kTileRows) {
    const int tile_rows = std::min(kTileRows, first_row + rows - row);
    // The sums are integers: adding a stretch's into c after the one before
    // gives exactly the sum over the whole depth.
    for (int first_group = 0; first_group < groups; first_group += kStretchGroups) {
      const int stretch = std::min(kStretchGroups, groups - first_group);
      for (int r = 0; r < tile_rows; ++r) {
        const uint8_t* source = a + (row + r) * lda + first_group * 4;
        int16_t* destination = codes + r * kStretchGroups * 4;
        // A stretch is a whole number of 16-code steps: depths are padded to 64.
        for (int i = 0; i < stretch * 4; i += 16) {
          const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source + i));
          _mm256_store_si256(reinterpret_cast<__m256i*>(destination + i),
                             _mm256_cvtepu8_epi16(bytes));
        }
      }
      for (int column_block = first_block; column_block < first_block + 2; ++column_block) {
        block_of(tile_rows, codes, b.block(column_block) + first_group * 64, stretch,
                 c + row * ldc + column_block * kBlock, ldc, first_group > 0);
      }
    }
  }
}

}  // namespace fastdnn::backend
