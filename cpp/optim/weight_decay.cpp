#include "optim/weight_decay.h"

#include "kernels/arena_pass.h"

namespace fastdnn {

FASTDNN_VECTORIZE_FOR_CPU
void decoupled_weight_decay(float* weights, long n, float learning_rate, float weight_decay) {
  const float shrink = learning_rate * weight_decay;
#pragma omp parallel for schedule(static) if (n >= kParallelArenaElements)
  for (long i = 0; i < n; ++i) weights[i] -= shrink * weights[i];
}

}  // namespace fastdnn
