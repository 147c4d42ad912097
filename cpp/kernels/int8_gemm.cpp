#include "kernels/int8_gemm.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/cpu_features.h"
#include "kernels/parallel.h"

namespace fastdnn {

Int8PackedWeights::Int8PackedWeights(const int8_t* weights, int k, int n)
    : rows_(k),
      columns_(n),
      padded_rows_((k + kRowPadding - 1) / kRowPadding * kRowPadding),
      padded_columns_((n + kColumnPadding - 1) / kColumnPadding * kColumnPadding) {
  data_.assign(static_cast<size_t>(padded_rows_) * padded_columns_, 0);
  for (int p = 0; p < k; ++p) {
    for (int j = 0; j < n; ++j) {
      const int column_block = j / kColumnBlock, column = j % kColumnBlock;
      const long group = p / 4, lane = p % 4;
      const long at = static_cast<long>(column_block) * padded_rows_ * kColumnBlock +
                      group * 4 * kColumnBlock + column * 4 + lane;
      data_[at] = weights[static_cast<long>(p) * n + j];
    }
  }
}

namespace {

// Whether the CPU (and OS) can run an accelerated kernel.
bool probe_kernel(Int8Kernel kernel) {
  switch (kernel) {
#if defined(FASTDNN_X86_BACKENDS)
    case Int8Kernel::avx2:
      return cpu_supports(Isa::avx2);
    case Int8Kernel::vnni:
      return cpu_supports(Isa::avx512) && cpuid_leaf7_bit(0, 2, 11);  // ECX: AVX512_VNNI
    case Int8Kernel::amx:
#if defined(FASTDNN_AMX_KERNEL)
      // EDX: AMX-TILE (24) and AMX-INT8 (25).
      return cpuid_leaf7_bit(0, 3, 24) && cpuid_leaf7_bit(0, 3, 25) && amx_state_permitted();
#else
      return false;
#endif
#endif
    default:
      return false;
  }
}

}  // namespace

Int8Kernel automatic_int8_kernel() {
  // FASTDNN_ISA (the tests' way of running every path) steers this too.
  const Isa isa = active_isa();
  if (isa == Isa::avx512 && int8_kernel_supported(Int8Kernel::amx)) return Int8Kernel::amx;
  if (isa == Isa::avx512 && int8_kernel_supported(Int8Kernel::vnni)) return Int8Kernel::vnni;
  if (isa != Isa::generic && int8_kernel_supported(Int8Kernel::avx2)) return Int8Kernel::avx2;
  return Int8Kernel::generic;
}

bool int8_kernel_supported(Int8Kernel kernel) {
  // CPUID traps to the hypervisor on a virtual machine: microseconds per call.
  static const bool supported[] = {true, true, probe_kernel(Int8Kernel::avx2),
                                   probe_kernel(Int8Kernel::vnni), probe_kernel(Int8Kernel::amx)};
  return supported[static_cast<int>(kernel)];
}

void int8_gemm(int m, const uint8_t* a, long lda, const Int8PackedWeights& b, int32_t* c, long ldc,
               Int8Kernel kernel) {
  if (lda < b.padded_rows() || ldc < b.padded_columns()) {
    throw std::invalid_argument("int8_gemm: lda or ldc is smaller than the packed weights");
  }
  if (kernel == Int8Kernel::automatic) kernel = automatic_int8_kernel();
  if (!int8_kernel_supported(kernel)) {
    throw std::invalid_argument("this CPU cannot run the requested int8 kernel");
  }
  if (m <= 0) return;
  // A piece: up to 32 rows (two AMX tiles) by one pair of column blocks.
  constexpr int kPieceRows = 32;
  const int row_pieces = (int8_gemm_rows(m) + kPieceRows - 1) / kPieceRows;
  const int block_pairs = b.padded_columns() / Int8PackedWeights::kColumnPadding;
  const long multiply_adds = static_cast<long>(m) * b.padded_rows() * b.padded_columns();
  const bool parallel = multiply_adds >= (1L << 22);
  parallel_ranges(static_cast<long>(row_pieces) * block_pairs, parallel, [&](long begin, long end) {
#if defined(FASTDNN_AMX_KERNEL)
    if (kernel == Int8Kernel::amx) backend::amx_begin();
#endif
    for (long piece = begin; piece < end; ++piece) {
      const int first_row = static_cast<int>(piece / block_pairs) * kPieceRows;
      const int first_block = static_cast<int>(piece % block_pairs) * 2;
      const int rows = kernel == Int8Kernel::amx
                           ? std::min(kPieceRows, int8_gemm_rows(m) - first_row)
                           : std::min(kPieceRows, m - first_row);
      switch (kernel) {
#if defined(FASTDNN_AMX_KERNEL)
        case Int8Kernel::amx:
          backend::int8_gemm_amx(first_row, rows, first_block, a, lda, b, c, ldc);
          break;
#endif
#if defined(FASTDNN_X86_BACKENDS)
        case Int8Kernel::vnni:
          backend::int8_gemm_vnni(first_row, rows, first_block, a, lda, b, c, ldc);
          break;
        case Int8Kernel::avx2:
          backend::int8_gemm_avx2(first_row, rows, first_block, a, lda, b, c, ldc);
          break;
#endif
        default:
          backend::int8_gemm_generic(first_row, rows, first_block, a, lda, b, c, ldc);
      }
    }
#if defined(FASTDNN_AMX_KERNEL)
    if (kernel == Int8Kernel::amx) backend::amx_end();
#endif
  });
}

}  // namespace fastdnn
