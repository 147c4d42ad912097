// AVX2 int8 product, built with -mavx2 -mfma (see kernels.cmake) and run only
// where cpu_supports(Isa::avx2). Without VNNI's 4-way byte dot product, codes
// widen to 16 bits and vpmaddwd sums pairs of products into 32 bits: exact,
// where vpmaddubsw's 16-bit sums would saturate at 255·127·2.
#include <immintrin.h>

#include <cstring>

#include "kernels/int8_gemm.h"

namespace fastdnn::backend {

namespace {

// R rows × one 16-column block. sums[r][q] holds, for columns 4q..4q+3, two
// partial sums per column (rows 4g, 4g+1 and 4g+2, 4g+3 of each group).
template <int R>
void rows_by_block(const uint8_t* a, long lda, const int8_t* block, int groups, int32_t* c,
                   long ldc) {
  __m256i sums[R][4];
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) sums[r][q] = _mm256_setzero_si256();
  }
  for (int group = 0; group < groups; ++group) {
    __m256i weights[4];
    for (int q = 0; q < 4; ++q) {
      const auto* source = reinterpret_cast<const __m128i*>(block + group * 64 + 16 * q);
      weights[q] = _mm256_cvtepi8_epi16(_mm_load_si128(source));
    }
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, a + r * lda + 4 * group, sizeof four);
      const __m256i codes = _mm256_cvtepu8_epi16(_mm_set1_epi32(four));
      for (int q = 0; q < 4; ++q) {
        sums[r][q] = _mm256_add_epi32(sums[r][q], _mm256_madd_epi16(codes, weights[q]));
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int half = 0; half < 2; ++half) {
      // hadd pairs the partial sums within 128-bit lanes: columns 0 1 4 5 | 2 3 6 7.
      const __m256i paired = _mm256_hadd_epi32(sums[r][2 * half], sums[r][2 * half + 1]);
      const __m256i ordered = _mm256_permute4x64_epi64(paired, 0b11011000);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc + 8 * half), ordered);
    }
  }
}

}  // namespace

void int8_gemm_avx2(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                    const Int8PackedWeights& b, int32_t* c, long ldc) {
  constexpr int kBlock = Int8PackedWeights::kColumnBlock;
  const int groups = b.padded_rows() / 4;
  for (int column_block = first_block; column_block < first_block + 2; ++column_block) {
    int32_t* c_block = c + column_block * kBlock;
    int row = first_row;
    for (; row + 3 <= first_row + rows; row += 3) {
      rows_by_block<3>(a + row * lda, lda, b.block(column_block), groups, c_block + row * ldc, ldc);
    }
    for (; row < first_row + rows; ++row) {
      rows_by_block<1>(a + row * lda, lda, b.block(column_block), groups, c_block + row * ldc, ldc);
    }
  }
}

}  // namespace fastdnn::backend
