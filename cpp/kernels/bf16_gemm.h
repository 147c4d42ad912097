#pragma once

#include <array>
#include <cstdint>

#include "kernels/aligned_buffer.h"
#include "kernels/enum_names.h"
#include "kernels/gemm.h"

namespace fastdnn {

// Which loop computes bf16_gemm. Their sums are each deterministic but
// differ from each other in the last bits (see the contract below).
enum class Bf16Kernel { automatic, generic, avx512_bf16, amx };

bool bf16_kernel_supported(Bf16Kernel kernel);
// What automatic runs now: under the avx512 ISA path, AMX where the CPU and
// OS allow it, then AVX512-BF16 where the CPU has it; the portable loop
// otherwise. FASTDNN_ISA=generic or avx2 therefore forces the portable one.
Bf16Kernel automatic_bf16_kernel();
// Whether the automatic kernel has bf16 instructions: without them bf16
// costs more than float32 does.
bool bf16_is_accelerated();
template <>
struct EnumNames<Bf16Kernel> {
  static constexpr const char* kind = "bf16 kernel";
  static constexpr std::array<NamedValue<Bf16Kernel>, 4> table{{
      {Bf16Kernel::automatic, "automatic"},
      {Bf16Kernel::generic, "generic"},
      {Bf16Kernel::avx512_bf16, "avx512_bf16"},
      {Bf16Kernel::amx, "amx"},
  }};
};

// sgemm_fused (gemm.h) with bfloat16 operands: every element of op(A) and
// op(B) is rounded to bfloat16 (round to nearest even) once, while it is
// packed, and the products are summed in float32; the epilogue (bias, beta·C,
// b_column_sums from the float32 op(B), finish) is float32 and works as for
// sgemm_fused.
//
// Contract, each kernel on its own: an output element depends only on its row
// of op(A), its column of op(B) and beta·C, never on m, its place in a tile
// or the number of threads (threads split output blocks, never k). A product
// of two bfloat16 values is exact in float32, so the kernels differ only in
// the order (and, for AMX, the internal precision) of the sum: between
// kernels, |difference| ≤ 1e-5 · Σ_p |a_p·b_p| per element, plus what the
// AVX512-BF16 and AMX instructions flush of subnormals.
void bf16_gemm_fused(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                     int lda, const float* b, int ldb, float beta, float* c, int ldc,
                     const GemmEpilogue& epilogue, Bf16Kernel kernel = Bf16Kernel::automatic);

// op(B) (k, n) rounded to bfloat16 once, in the layout `kernel` reads: a
// snapshot of b for products that read the same operand many times (a
// model's weights between predictions). `source` and the shape say which
// operand it stands for; later edits of b do not reach it.
struct Bf16PackedOperand {
  const float* source;
  bool transpose;
  int k, n, ld;
  Bf16Kernel kernel;               // the one that packed it, never automatic
  AlignedVector<uint16_t> values;  // whole AMX tile rows on cache lines
};
Bf16PackedOperand bf16_pack_operand(bool transpose_b, int k, int n, const float* b, int ldb,
                                    Bf16Kernel kernel = Bf16Kernel::automatic);

// bf16_gemm_fused(transpose_a, b.transpose, m, b.n, b.k, a, lda, b.source,
// b.ld, ...) by b.kernel, without packing op(B): the same bits while b.source
// holds the values b was packed from. The epilogue may not ask for
// b_column_sums, which are read from the float32 operand.
void bf16_gemm_prepacked(bool transpose_a, int m, const float* a, int lda,
                         const Bf16PackedOperand& b, float beta, float* c, int ldc,
                         const GemmEpilogue& epilogue);

namespace backend {
// One instantiation of the blocked bf16 product (bf16_gemm_blocked.h) per
// kernel, each in its own translation unit compiled for its instructions;
// with b_prepacked (that kernel's bf16_pack_b_*), b is not read.
void bf16_gemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                       int lda, const float* b, int ldb, float beta, float* c, int ldc,
                       const GemmEpilogue& epilogue, const uint16_t* b_prepacked);
AlignedVector<uint16_t> bf16_pack_b_generic(bool transpose_b, int k, int n, const float* b,
                                            int ldb);
void bf16_gemm_avx512_bf16(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                           int lda, const float* b, int ldb, float beta, float* c, int ldc,
                           const GemmEpilogue& epilogue, const uint16_t* b_prepacked);
AlignedVector<uint16_t> bf16_pack_b_avx512_bf16(bool transpose_b, int k, int n, const float* b,
                                                int ldb);
void bf16_gemm_amx(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc,
                   const GemmEpilogue& epilogue, const uint16_t* b_prepacked);
AlignedVector<uint16_t> bf16_pack_b_amx(bool transpose_b, int k, int n, const float* b, int ldb);
}  // namespace backend

}  // namespace fastdnn
