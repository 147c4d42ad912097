#pragma once

#include "nn/activation.h"

// The elementwise activation loops, compiled once per instruction set from one
// source (activation_loops.h) so the compiler vectorises them for each; the
// dispatcher in activation.cpp picks one with the GEMM's active_isa().
#define FASTDNN_DECLARE_ACTIVATION_BACKEND(isa)                                                    \
  namespace fastdnn::isa {                                                                         \
  void activation_forward(float* x, long rows, int cols, Activation activation,                    \
                          float leaky_relu_slope);                                                 \
  void activation_backward(float* delta, const float* pre_activation, const float* output, long n, \
                           Activation activation, float leaky_relu_slope);                         \
  }

FASTDNN_DECLARE_ACTIVATION_BACKEND(generic)
FASTDNN_DECLARE_ACTIVATION_BACKEND(avx2)
FASTDNN_DECLARE_ACTIVATION_BACKEND(avx512)

#undef FASTDNN_DECLARE_ACTIVATION_BACKEND
