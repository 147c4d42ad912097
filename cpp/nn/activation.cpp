#include "nn/activation.h"

#include <stdexcept>

#include "kernels/cpu_features.h"
#include "nn/activation_backends.h"

namespace fastdnn {

void activation_forward(float* x, long rows, int cols, Activation activation,
                        float leaky_relu_slope) {
#if defined(FASTDNN_X86_BACKENDS)
  switch (active_isa()) {
    case Isa::avx512:
      return avx512::activation_forward(x, rows, cols, activation, leaky_relu_slope);
    case Isa::avx2:
      return avx2::activation_forward(x, rows, cols, activation, leaky_relu_slope);
    case Isa::generic:
      break;
  }
#endif
  generic::activation_forward(x, rows, cols, activation, leaky_relu_slope);
}

bool activation_backward_needs_pre_activation(Activation activation) {
  return activation == Activation::gelu || activation == Activation::silu;
}

void activation_backward(float* delta, const float* pre_activation, const float* output, long n,
                         Activation activation, float leaky_relu_slope) {
#if defined(FASTDNN_X86_BACKENDS)
  switch (active_isa()) {
    case Isa::avx512:
      return avx512::activation_backward(delta, pre_activation, output, n, activation,
                                         leaky_relu_slope);
    case Isa::avx2:
      return avx2::activation_backward(delta, pre_activation, output, n, activation,
                                       leaky_relu_slope);
    case Isa::generic:
      break;
  }
#endif
  generic::activation_backward(delta, pre_activation, output, n, activation, leaky_relu_slope);
}

}  // namespace fastdnn
