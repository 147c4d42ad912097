#include "kernels/bf16_gemm.h"

#include <stdexcept>

#include "kernels/cpu_features.h"

namespace fastdnn {

namespace {

// Whether the CPU (and OS) can run an accelerated kernel this build has.
bool probe_kernel(Bf16Kernel kernel) {
  switch (kernel) {
#if defined(FASTDNN_BF16_AVX512_KERNEL)
    case Bf16Kernel::avx512_bf16:
      // Sub-leaf 1, EAX bit 5: AVX512_BF16.
      return cpu_supports(Isa::avx512) && cpuid_leaf7_bit(1, 0, 5);
#endif
#if defined(FASTDNN_BF16_AMX_KERNEL)
    case Bf16Kernel::amx:
      // EDX: AMX-BF16 (22) and AMX-TILE (24); its packing uses AVX512-BF16.
      return probe_kernel(Bf16Kernel::avx512_bf16) && cpuid_leaf7_bit(0, 3, 22) &&
             cpuid_leaf7_bit(0, 3, 24) && amx_state_permitted();
#endif
    default:
      return false;
  }
}

}  // namespace

bool bf16_kernel_supported(Bf16Kernel kernel) {
  static const bool supported[] = {true, true, probe_kernel(Bf16Kernel::avx512_bf16),
                                   probe_kernel(Bf16Kernel::amx)};
  return supported[static_cast<int>(kernel)];
}

Bf16Kernel automatic_bf16_kernel() {
  // FASTDNN_ISA (the tests' way of running every path) steers this too.
  if (active_isa() != Isa::avx512) return Bf16Kernel::generic;
  if (bf16_kernel_supported(Bf16Kernel::amx)) return Bf16Kernel::amx;
  if (bf16_kernel_supported(Bf16Kernel::avx512_bf16)) return Bf16Kernel::avx512_bf16;
  return Bf16Kernel::generic;
}

bool bf16_is_accelerated() {
  return automatic_bf16_kernel() != Bf16Kernel::generic;
}

namespace {

Bf16Kernel supported_kernel(Bf16Kernel kernel) {
  if (kernel == Bf16Kernel::automatic) kernel = automatic_bf16_kernel();
  if (!bf16_kernel_supported(kernel)) {
    throw std::invalid_argument("this CPU cannot run the " + name_of(kernel) + " bf16 kernel");
  }
  return kernel;
}

void run_kernel(Bf16Kernel kernel, bool transpose_a, bool transpose_b, int m, int n, int k,
                const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc,
                const GemmEpilogue& epilogue, const uint16_t* b_prepacked) {
  switch (kernel) {
#if defined(FASTDNN_BF16_AMX_KERNEL)
    case Bf16Kernel::amx:
      return backend::bf16_gemm_amx(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                    epilogue, b_prepacked);
#endif
#if defined(FASTDNN_BF16_AVX512_KERNEL)
    case Bf16Kernel::avx512_bf16:
      return backend::bf16_gemm_avx512_bf16(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta,
                                            c, ldc, epilogue, b_prepacked);
#endif
    default:
      return backend::bf16_gemm_generic(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c,
                                        ldc, epilogue, b_prepacked);
  }
}

}  // namespace

void bf16_gemm_fused(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                     int lda, const float* b, int ldb, float beta, float* c, int ldc,
                     const GemmEpilogue& epilogue, Bf16Kernel kernel) {
  run_kernel(supported_kernel(kernel), transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c,
             ldc, epilogue, nullptr);
}

Bf16PackedOperand bf16_pack_operand(bool transpose_b, int k, int n, const float* b, int ldb,
                                    Bf16Kernel kernel) {
  Bf16PackedOperand packed{b, transpose_b, k, n, ldb, supported_kernel(kernel), {}};
  switch (packed.kernel) {
#if defined(FASTDNN_BF16_AMX_KERNEL)
    case Bf16Kernel::amx:
      packed.values = backend::bf16_pack_b_amx(transpose_b, k, n, b, ldb);
      break;
#endif
#if defined(FASTDNN_BF16_AVX512_KERNEL)
    case Bf16Kernel::avx512_bf16:
      packed.values = backend::bf16_pack_b_avx512_bf16(transpose_b, k, n, b, ldb);
      break;
#endif
    default:
      packed.values = backend::bf16_pack_b_generic(transpose_b, k, n, b, ldb);
  }
  return packed;
}

void bf16_gemm_prepacked(bool transpose_a, int m, const float* a, int lda,
                         const Bf16PackedOperand& b, float beta, float* c, int ldc,
                         const GemmEpilogue& epilogue) {
  if (epilogue.b_column_sums != nullptr) {
    throw std::invalid_argument("a prepacked bf16 operand has no float32 column sums");
  }
  run_kernel(b.kernel, transpose_a, b.transpose, m, b.n, b.k, a, lda, b.source, b.ld, beta, c, ldc,
             epilogue, b.values.data());
}

}  // namespace fastdnn
