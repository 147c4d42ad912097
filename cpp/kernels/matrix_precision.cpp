#include "kernels/matrix_precision.h"

#include "kernels/bf16_gemm.h"

namespace fastdnn {

namespace {

thread_local MatrixPrecision precision_in_use = MatrixPrecision::float32;
thread_local const std::vector<Bf16PackedOperand>* packed_operands = nullptr;

const Bf16PackedOperand* packed_operand(bool transpose_b, int n, int k, const float* b, int ldb) {
  if (packed_operands == nullptr) return nullptr;
  for (const Bf16PackedOperand& packed : *packed_operands) {
    if (packed.source == b && packed.transpose == transpose_b && packed.n == n && packed.k == k &&
        packed.ld == ldb) {
      return &packed;
    }
  }
  return nullptr;
}

}  // namespace

MatrixPrecisionScope::MatrixPrecisionScope(MatrixPrecision precision)
    : previous_(precision_in_use) {
  precision_in_use = precision;
}

MatrixPrecisionScope::~MatrixPrecisionScope() {
  precision_in_use = previous_;
}

PackedOperandsScope::PackedOperandsScope(const std::vector<Bf16PackedOperand>* operands)
    : previous_(packed_operands) {
  packed_operands = operands;
}

PackedOperandsScope::~PackedOperandsScope() {
  packed_operands = previous_;
}

MatrixPrecision active_matrix_precision() {
  return precision_in_use;
}

void matrix_product(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                    int lda, const float* b, int ldb, float beta, float* c, int ldc,
                    const GemmEpilogue& epilogue) {
  if (precision_in_use == MatrixPrecision::bfloat16) {
    const Bf16PackedOperand* packed =
        epilogue.b_column_sums == nullptr ? packed_operand(transpose_b, n, k, b, ldb) : nullptr;
    if (packed != nullptr) {
      bf16_gemm_prepacked(transpose_a, m, a, lda, *packed, beta, c, ldc, epilogue);
      return;
    }
    bf16_gemm_fused(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  } else {
    sgemm_fused(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  }
}

}  // namespace fastdnn
