#pragma once

#include "kernels/gemm.h"

// One sgemm per instruction set, each defined in its own translation unit
// (gemm_<isa>.cpp) compiled with that ISA's flags; gemm.cpp picks one at run time.
// Each keeps the contract of gemm.h within itself; results differ between ISAs.
namespace fastdnn::backend {

void sgemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc,
                   const GemmEpilogue& epilogue);

#if defined(FASTDNN_X86_BACKENDS)
void sgemm_avx2(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc,
                const GemmEpilogue& epilogue);

void sgemm_avx512(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc,
                  const GemmEpilogue& epilogue);
#endif

}  // namespace fastdnn::backend
