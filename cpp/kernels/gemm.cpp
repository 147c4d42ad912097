#include "kernels/gemm.h"

#include <cstddef>

#include "kernels/aligned_buffer.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm_backends.h"
#include "kernels/gemm_blocked.h"

namespace fastdnn {

namespace backend {

// Lives here, in a translation unit built for the baseline ISA, because the
// allocator code it instantiates must not be compiled with AVX-512 flags and
// then shared with the other paths.
float* packing_buffer(PackingSlot slot, std::size_t floats) {
  thread_local AlignedVector<float> buffers[2];
  AlignedVector<float>& buffer = buffers[slot == PackingSlot::a ? 0 : 1];
  if (buffer.size() < floats) {
    // Drop the old block before allocating the new one: its contents are dead.
    AlignedVector<float>().swap(buffer);
    buffer.resize(floats);
  }
  return buffer.data();
}

}  // namespace backend

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  switch (active_isa()) {
#if defined(FASTDNN_X86_BACKENDS)
    case Isa::avx512:
      return backend::sgemm_avx512(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
    case Isa::avx2:
      return backend::sgemm_avx2(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
#endif
    default:
      return backend::sgemm_generic(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c,
                                    ldc);
  }
}

}  // namespace fastdnn
