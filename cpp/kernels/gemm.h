#pragma once

#include <cstdint>

namespace fastdnn {

// Below this many multiply-adds a product runs on the calling thread: a
// fork/join costs more than it saves. A fixed constant, so whether a call is
// split never depends on the thread count.
inline constexpr std::int64_t kParallelMinWork = std::int64_t{1} << 21;

// C (m,n) = beta·C + op(A) (m,k) · op(B) (k,n), all row-major.
// op(A) = A, an (m,k) matrix with row stride lda, or, when transpose_a, Aᵀ of an
// (k,m) matrix with row stride lda; likewise op(B). Transposes are absorbed by
// the kernel, never materialised by the caller.
//
// Contract every backend keeps, because the estimators promise it:
// - an output element's value depends only on its row of op(A), its column of
//   op(B) and beta·C: never on m, on its position in a tile, or on the number
//   of threads (a row predicts the same alone or inside a batch; a model is
//   bit-identical whatever OMP_NUM_THREADS is);
// - threads split output blocks, never the k dimension.
void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

// Work done inside the product, on data while it is in cache, so that a dense
// layer passes over its output once. Every part is optional.
struct GemmEpilogue {
  // bias (n): C starts from bias, broadcast to every row, instead of beta·C.
  // C = bias + op(A)·op(B) rounds exactly as filling C with bias and beta = 1.
  const float* bias = nullptr;
  // column_sums (n) += Σ_p op(B)[p, j], summed for increasing p, while op(B)
  // is read: dW = Xᵀ·dY's bias gradient, Σ_rows dY, without another pass over dY.
  float* b_column_sums = nullptr;
  // Called once on every finished block of C (after its whole k sum): rows
  // [row, row + rows) and columns [column, column + columns) of C, the block
  // starting at `block` with row stride ldc. Calls may run at once on several
  // threads, each on its own block; it must only touch that block (and read
  // what it likes). An elementwise function of the block keeps the contract above.
  void (*finish)(const void* context, float* block, long ldc, int row, int column, int rows,
                 int columns) = nullptr;
  const void* context = nullptr;
};

// sgemm with an epilogue; the contract above holds for it too.
void sgemm_fused(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc,
                 const GemmEpilogue& epilogue);

}  // namespace fastdnn
