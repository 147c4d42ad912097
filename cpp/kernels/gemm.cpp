#include "kernels/gemm.h"

#include "kernels/cpu_features.h"
#include "kernels/gemm_backends.h"

namespace fastdnn {

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  sgemm_fused(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, GemmEpilogue{});
}

void sgemm_fused(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc,
                 const GemmEpilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  switch (active_isa()) {
#if defined(FASTDNN_X86_BACKENDS)
    case Isa::avx512:
      return backend::sgemm_avx512(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                   epilogue);
    case Isa::avx2:
      return backend::sgemm_avx2(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                 epilogue);
#endif
    default:
      return backend::sgemm_generic(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                    epilogue);
  }
}

}  // namespace fastdnn
