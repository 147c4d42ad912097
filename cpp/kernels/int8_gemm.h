#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kernels/aligned_buffer.h"
#include "kernels/enum_names.h"

namespace fastdnn {

// Weights (k, n) as signed 8-bit integers in [−127, 127], packed once for
// int8_gemm. Blocks of 16 columns follow each other; inside a block, each
// group of 4 consecutive rows takes 64 bytes (a column's 4 values, then the
// next column's), groups in row order. That is the layout of an AMX B tile
// (16 groups at a stride of 64 bytes) and of one operand of AVX-512 VNNI's
// 4-way dot product, so both read it as it is. Rows are padded with zeros to
// a multiple of 64 and columns to a multiple of 32: every kernel works on
// whole tiles and has no edge code.
class Int8PackedWeights {
 public:
  static constexpr int kColumnBlock = 16;
  static constexpr int kRowPadding = 64;
  static constexpr int kColumnPadding = 32;

  Int8PackedWeights() = default;
  // weights (k, n), row-major.
  Int8PackedWeights(const int8_t* weights, int k, int n);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  int padded_rows() const { return padded_rows_; }
  int padded_columns() const { return padded_columns_; }
  // The packed 16-column block `column_block`: padded_rows() / 4 groups of 64 bytes.
  const int8_t* block(int column_block) const {
    return data_.data() + static_cast<long>(column_block) * padded_rows_ * kColumnBlock;
  }

 private:
  int rows_ = 0, columns_ = 0, padded_rows_ = 0, padded_columns_ = 0;
  AlignedVector<int8_t> data_;
};

// The rows a and c of int8_gemm hold for m rows of output: whole 16-row tiles.
inline int int8_gemm_rows(int m) {
  return (m + 15) / 16 * 16;
}

// Which loop computes int8_gemm. All give the same, exact, sums.
enum class Int8Kernel { automatic, generic, avx2, vnni, amx };

bool int8_kernel_supported(Int8Kernel kernel);
// What automatic runs now: the best kernel the active ISA allows (AMX where
// the CPU and OS allow it, then VNNI, under avx512; AVX2 under avx2).
Int8Kernel automatic_int8_kernel();
template <>
struct EnumNames<Int8Kernel> {
  static constexpr const char* kind = "int8 kernel";
  static constexpr std::array<NamedValue<Int8Kernel>, 5> table{{
      {Int8Kernel::automatic, "automatic"},
      {Int8Kernel::generic, "generic"},
      {Int8Kernel::avx2, "avx2"},
      {Int8Kernel::vnni, "vnni"},
      {Int8Kernel::amx, "amx"},
  }};
};

// c (m, n) int32 ← a (m, k) · b, exactly: integer sums, so no kernel, tile or
// thread count changes a single bit. a holds unsigned 8-bit rows with stride
// lda ≥ b.padded_rows(), zero from column k on; c has stride
// ldc ≥ b.padded_columns() and gets zeros in the padded columns. Both have
// int8_gemm_rows(m) rows: a kernel may read and write the rows past m, whose
// values do not matter. Threads split rows and column blocks.
void int8_gemm(int m, const uint8_t* a, long lda, const Int8PackedWeights& b, int32_t* c, long ldc,
               Int8Kernel kernel = Int8Kernel::automatic);

namespace backend {
// One 16-column block pair [first_block, first_block + 2) of rows
// [first_row, first_row + rows) of c, each kernel in its own translation unit.
void int8_gemm_generic(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                       const Int8PackedWeights& b, int32_t* c, long ldc);
// Built only for x86-64 (and AMX only by compilers that know it); called
// only where int8_kernel_supported says so.
void int8_gemm_avx2(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                    const Int8PackedWeights& b, int32_t* c, long ldc);
void int8_gemm_vnni(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                    const Int8PackedWeights& b, int32_t* c, long ldc);
// Rows in whole 16-row tiles. Runs between amx_begin() and amx_end() on the same thread.
void int8_gemm_amx(int first_row, int rows, int first_block, const uint8_t* a, long lda,
                   const Int8PackedWeights& b, int32_t* c, long ldc);
void amx_begin();
void amx_end();
}  // namespace backend

}  // namespace fastdnn
