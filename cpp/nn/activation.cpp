#include "nn/activation.h"

#include <stdexcept>

#include "kernels/cpu_features.h"
#include "nn/activation_backends.h"

namespace fastdnn {

Activation activation_from_name(const std::string& name) {
  if (name == "identity") return Activation::identity;
  if (name == "logistic") return Activation::logistic;
  if (name == "tanh") return Activation::tanh;
  if (name == "relu") return Activation::relu;
  if (name == "leaky_relu") return Activation::leaky_relu;
  if (name == "elu") return Activation::elu;
  if (name == "selu") return Activation::selu;
  if (name == "gelu") return Activation::gelu;
  if (name == "silu") return Activation::silu;
  if (name == "softplus") return Activation::softplus;
  if (name == "softmax") return Activation::softmax;
  if (name == "exp") return Activation::exp;
  throw std::invalid_argument("unknown activation '" + name + "'");
}

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::identity:
      return "identity";
    case Activation::logistic:
      return "logistic";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
    case Activation::leaky_relu:
      return "leaky_relu";
    case Activation::elu:
      return "elu";
    case Activation::selu:
      return "selu";
    case Activation::gelu:
      return "gelu";
    case Activation::silu:
      return "silu";
    case Activation::softplus:
      return "softplus";
    case Activation::softmax:
      return "softmax";
    case Activation::exp:
      return "exp";
  }
  return "identity";
}

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
