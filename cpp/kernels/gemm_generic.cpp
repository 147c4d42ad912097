// Portable path, for CPUs without AVX2. Built with -ffp-contract=off (see
// kernels.cmake) so every multiply-add is a rounded multiply then a rounded add
// whatever the compiler would otherwise fuse.
#include <cstddef>

#include "kernels/gemm_backends.h"
#include "kernels/gemm_blocked.h"

namespace fastdnn::backend {

namespace {

// One float per "vector": the compiler vectorises across a tile's columns.
struct GenericTarget {
  using Vector = float;
  static constexpr int kWidth = 1;
  static constexpr int kAccumulators = 32;
  static constexpr int MR = 4, NR = 8;
  static constexpr int KC = 256, NC = 2048;
  // Products of up to 4 rows against an untransposed B read it in place (see sgemm_in_place).
  static constexpr int kFewRows = 4, kInPlaceRows = 4;
  static Vector zero() { return 0.0f; }
  static Vector load(const float* source) { return *source; }
  static void store(float* destination, Vector value) { *destination = value; }
  static Vector broadcast(float value) { return value; }
  static Vector load_first(const float* source, int count) { return count > 0 ? *source : 0.0f; }
  static void store_first(float* destination, Vector value, int count) {
    if (count > 0) *destination = value;
  }
  static Vector multiply_add(Vector a, Vector b, Vector c) { return a * b + c; }
  static void transpose(const float* source, std::ptrdiff_t, float* destination, std::ptrdiff_t) {
    *destination = *source;
  }
};

}  // namespace

void sgemm_generic(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc,
                   const GemmEpilogue& epilogue) {
  blocked::sgemm<GenericTarget>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc,
                                epilogue);
}

}  // namespace fastdnn::backend
