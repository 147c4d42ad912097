// AVX-512 VNNI int8 product, built with -mavx512f -mavx512bw -mavx512vnni
// (see kernels.cmake) and run only where int8_kernel_supported(vnni).
#include <immintrin.h>

#include <cstring>

#include "kernels/int8_gemm.h"

namespace fastdnn::backend {

namespace {

// R rows × 32 columns: 2R accumulators. Per group of 4 rows of b, two packed
// vectors of b and one broadcast of 4 bytes of a per row feed 2R dot products.
template <int R>
void rows_by_block_pair(const uint8_t* a, long lda, const int8_t* b0, const int8_t* b1, int groups,
                        int32_t* c, long ldc) {
  __m512i sums[R][2];
  for (int r = 0; r < R; ++r) sums[r][0] = sums[r][1] = _mm512_setzero_si512();
  for (int group = 0; group < groups; ++group) {
    const __m512i w0 = _mm512_load_si512(b0 + group * 64);
    const __m512i w1 = _mm512_load_si512(b1 + group * 64);
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, a + r * lda + 4 * group, sizeof four);
      const __m512i x = _mm512_set1_epi32(four);
      sums[r][0] = _mm512_dpbusd_epi32(sums[r][0], x, w0);
      sums[r][1] = _mm512_dpbusd_epi32(sums[r][1], x, w1);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_storeu_si512(c + r * ldc, sums[r][0]);
    _mm512_storeu_si512(c + r * ldc + 16, sums[r][1]);
  }
}

using RowsKernel = void (*)(const uint8_t*, long, const int8_t*, const int8_t*, int, int32_t*,
                            long);
constexpr RowsKernel kRowsKernels[] = {
    nullptr,
    rows_by_block_pair<1>,
    rows_by_block_pair<2>,
    rows_by_block_pair<3>,
    rows_by_block_pair<4>,
    rows_by_block_pair<5>,
    rows_by_block_pair<6>,
    rows_by_block_pair<7>,
    rows_by_block_pair<8>,
};

}  // namespace

void int8_gemm_vnni(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                    const Int8PackedWeights& b, int32_t* c, long ldc) {
  constexpr int kMaxRows = 8;
  const int groups = b.padded_rows() / 4;
  const int8_t* b0 = b.block(first_block);
  const int8_t* b1 = b.block(first_block + 1);
  for (int row = first_row; row < first_row + rows; row += kMaxRows) {
    const int count = rows - (row - first_row) < kMaxRows ? rows - (row - first_row) : kMaxRows;
    kRowsKernels[count](a + row * lda, lda, b0, b1, groups,
                        c + row * ldc + first_block * Int8PackedWeights::kColumnBlock, ldc);
  }
}

}  // namespace fastdnn::backend
