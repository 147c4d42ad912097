// The portable int8 product: plain integer loops, which the compiler
// vectorizes for each x86-64 level. Integer sums are exact, so it gives the
// very bits the VNNI and AMX kernels do.
#include "kernels/int8_gemm.h"
#include "kernels/vectorize_for_cpu.h"

namespace fastdnn::backend {

FASTDNN_VECTORIZE_FOR_CPU
void int8_gemm_generic(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                       const Int8PackedWeights& b, int32_t* c, long ldc) {
  constexpr int kBlock = Int8PackedWeights::kColumnBlock;
  const int groups = b.padded_rows() / 4;
  for (int i = first_row; i < first_row + rows; ++i) {
    const uint8_t* a_row = a + i * lda;
    for (int column_block = first_block; column_block < first_block + 2; ++column_block) {
      const int8_t* packed = b.block(column_block);
      int32_t sums[kBlock] = {};
      for (int group = 0; group < groups; ++group) {
        const int32_t a0 = a_row[4 * group], a1 = a_row[4 * group + 1], a2 = a_row[4 * group + 2],
                      a3 = a_row[4 * group + 3];
        const int8_t* b_group = packed + group * 4 * kBlock;
        for (int column = 0; column < kBlock; ++column) {
          const int8_t* b_column = b_group + column * 4;
          sums[column] += a0 * b_column[0] + a1 * b_column[1] + a2 * b_column[2] + a3 * b_column[3];
        }
      }
      int32_t* c_row = c + i * ldc + column_block * kBlock;
      for (int column = 0; column < kBlock; ++column) c_row[column] = sums[column];
    }
  }
}

}  // namespace fastdnn::backend
