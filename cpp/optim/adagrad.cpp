#include "optim/adagrad.h"

#include <cmath>

namespace fastdnn {

void adagrad_step(float* params, float* sum, const float* grad, long n, float learning_rate,
                  float epsilon) {
  for (long i = 0; i < n; ++i) {
    sum[i] += grad[i] * grad[i];
    params[i] -= learning_rate * grad[i] / (std::sqrt(sum[i]) + epsilon);
  }
}

}  // namespace fastdnn
