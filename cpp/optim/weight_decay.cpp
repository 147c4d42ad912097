#include "optim/weight_decay.h"

#include "kernels/arena_pass.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
void shrink_range(float* weights, long n, float shrink) {
  for (long i = 0; i < n; ++i) weights[i] -= shrink * weights[i];
}

}  // namespace

void decoupled_weight_decay(float* weights, long n, float learning_rate, float weight_decay) {
  const float shrink = learning_rate * weight_decay;
  arena_pass(n, [=](long begin, long end) { shrink_range(weights + begin, end - begin, shrink); });
}

}  // namespace fastdnn
