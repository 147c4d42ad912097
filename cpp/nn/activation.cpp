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
    case Activation::softmax:
      return "softmax";
    case Activation::exp:
      return "exp";
  }
  return "identity";
}

void activation_forward(float* x, long rows, int cols, Activation activation) {
#if defined(FASTDNN_X86_BACKENDS)
  switch (active_isa()) {
    case Isa::avx512:
      return avx512::activation_forward(x, rows, cols, activation);
    case Isa::avx2:
      return avx2::activation_forward(x, rows, cols, activation);
    case Isa::generic:
      break;
  }
#endif
  generic::activation_forward(x, rows, cols, activation);
}

void activation_backward(float* delta, const float* output, long n, Activation activation) {
#if defined(FASTDNN_X86_BACKENDS)
  switch (active_isa()) {
    case Isa::avx512:
      return avx512::activation_backward(delta, output, n, activation);
    case Isa::avx2:
      return avx2::activation_backward(delta, output, n, activation);
    case Isa::generic:
      break;
  }
#endif
  generic::activation_backward(delta, output, n, activation);
}

}  // namespace fastdnn
