#pragma once

namespace fastdnn {

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

}  // namespace fastdnn
