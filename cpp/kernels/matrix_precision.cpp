#include "kernels/matrix_precision.h"

#include "kernels/bf16_gemm.h"

namespace fastdnn {

namespace {

thread_local MatrixPrecision precision_in_use = MatrixPrecision::float32;

}  // namespace

MatrixPrecisionScope::MatrixPrecisionScope(MatrixPrecision precision)
    : previous_(precision_in_use) {
  precision_in_use = precision;
}

MatrixPrecisionScope::~MatrixPrecisionScope() {
  precision_in_use = previous_;
}

MatrixPrecision active_matrix_precision() {
  return precision_in_use;
}

void matrix_product(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                    int lda, const float* b, int ldb, float beta, float* c, int ldc,
                    const GemmEpilogue& epilogue) {
  if (precision_in_use == MatrixPrecision::bfloat16) {
    bf16_gemm_fused(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  } else {
    sgemm_fused(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  }
}

}  // namespace fastdnn
