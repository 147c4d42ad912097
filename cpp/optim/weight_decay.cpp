#include "optim/weight_decay.h"

namespace fastdnn {

void decoupled_weight_decay(float* weights, long n, float learning_rate, float weight_decay) {
  const float shrink = learning_rate * weight_decay;
  for (long i = 0; i < n; ++i) weights[i] -= shrink * weights[i];
}

}  // namespace fastdnn
