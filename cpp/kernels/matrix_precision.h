#pragma once

#include <array>
#include <vector>

#include "kernels/bf16_gemm.h"
#include "kernels/enum_names.h"
#include "kernels/gemm.h"

namespace fastdnn {

// The arithmetic of a layer's matrix products: float32 (sgemm_fused), or
// bfloat16 operands summed in float32 (bf16_gemm_fused). Everything else the
// engine computes (bias, activations, normalization, losses, optimizers)
// stays float32 either way.
enum class MatrixPrecision { float32, bfloat16 };
template <>
struct EnumNames<MatrixPrecision> {
  static constexpr const char* kind = "precision";
  static constexpr std::array<NamedValue<MatrixPrecision>, 2> table{{
      {MatrixPrecision::float32, "float32"},
      {MatrixPrecision::bfloat16, "bfloat16"},
  }};
};

// Sets the precision of the calling thread's layer products while in scope
// (a training epoch, a prediction), then restores the previous one. Per
// calling thread, as ThreadCountScope: two models predicting at once in
// different precisions do not interfere.
class MatrixPrecisionScope {
 public:
  explicit MatrixPrecisionScope(MatrixPrecision precision);
  ~MatrixPrecisionScope();
  MatrixPrecisionScope(const MatrixPrecisionScope&) = delete;
  MatrixPrecisionScope& operator=(const MatrixPrecisionScope&) = delete;

 private:
  MatrixPrecision previous_;
};

MatrixPrecision active_matrix_precision();

// Operands packed to bfloat16 ahead (a model's weights, packed once for many
// predictions) that the calling thread's bf16 products take instead of
// packing the float32 operand they are given, while in scope: a product
// whose op(B) is one of them (same pointer, transposition, shape and leading
// dimension) reads its packed values, the same bits it would have packed.
// Null for none. Per calling thread, as MatrixPrecisionScope.
class PackedOperandsScope {
 public:
  explicit PackedOperandsScope(const std::vector<Bf16PackedOperand>* operands);
  ~PackedOperandsScope();
  PackedOperandsScope(const PackedOperandsScope&) = delete;
  PackedOperandsScope& operator=(const PackedOperandsScope&) = delete;

 private:
  const std::vector<Bf16PackedOperand>* previous_;
};

// sgemm_fused's product (gemm.h) in the calling thread's precision.
void matrix_product(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                    int lda, const float* b, int ldb, float beta, float* c, int ldc,
                    const GemmEpilogue& epilogue = GemmEpilogue{});

}  // namespace fastdnn
