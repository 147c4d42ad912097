#include "nn/dense.h"

#include <cstring>

#include "kernels/matrix_precision.h"

namespace fastdnn {

namespace {

struct ForwardBlock {
  float* pre_activation;  // (B,OC) or null
  int OC;
  Activation activation;
  float leaky_relu_slope;
};

// The block is still in cache: keeping z and applying f now saves a pass over out.
void finish_forward_block(const void* context, float* block, long ldc, int row, int column,
                          int rows, int columns) {
  const auto& layer = *static_cast<const ForwardBlock*>(context);
  float* pre_activation = layer.pre_activation
                              ? layer.pre_activation + static_cast<long>(row) * layer.OC + column
                              : nullptr;
  if (columns == ldc) {  // whole rows: one contiguous stretch
    if (pre_activation != nullptr) {
      std::memcpy(pre_activation, block, static_cast<size_t>(rows) * columns * sizeof(float));
    }
    activation_forward(block, rows, columns, layer.activation, layer.leaky_relu_slope);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    float* values = block + r * ldc;
    if (pre_activation != nullptr) {
      std::memcpy(pre_activation + r * layer.OC, values, columns * sizeof(float));
    }
    activation_forward(values, 1, columns, layer.activation, layer.leaky_relu_slope);
  }
}

struct BackwardBlock {
  const float* output;          // inp = f(z) (B,C)
  const float* pre_activation;  // z (B,C) or null
  int C;
  Activation activation;
  float leaky_relu_slope;
};

void finish_backward_block(const void* context, float* block, long ldc, int row, int column,
                           int rows, int columns) {
  const auto& layer = *static_cast<const BackwardBlock*>(context);
  const long offset = static_cast<long>(row) * layer.C + column;
  const float* pre_activation = layer.pre_activation ? layer.pre_activation + offset : nullptr;
  if (columns == ldc) {  // whole rows: one contiguous stretch
    activation_backward(block, pre_activation, layer.output + offset,
                        static_cast<long>(rows) * columns, layer.activation,
                        layer.leaky_relu_slope);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    const long row_offset = static_cast<long>(r) * layer.C;
    activation_backward(block + r * ldc, pre_activation ? pre_activation + row_offset : nullptr,
                        layer.output + offset + row_offset, columns, layer.activation,
                        layer.leaky_relu_slope);
  }
}

}  // namespace

void dense_forward(float* out, float* pre_activation, const float* inp, const float* weight,
                   const float* bias, int B, int C, int OC, Activation activation,
                   float leaky_relu_slope) {
  const bool row_wise = activation == Activation::softmax;
  const ForwardBlock layer{pre_activation, OC, row_wise ? Activation::identity : activation,
                           leaky_relu_slope};
  GemmEpilogue epilogue;
  epilogue.bias = bias;
  if (pre_activation != nullptr || layer.activation != Activation::identity) {
    epilogue.finish = finish_forward_block;
    epilogue.context = &layer;
  }
  matrix_product(false, false, B, OC, C, inp, C, weight, OC, 0.0f, out, OC, epilogue);
  if (row_wise) activation_forward(out, B, OC, activation, leaky_relu_slope);
}

void dense_backward(float* dinp, float* dweight, float dweight_beta, float* dbias,
                    const float* dout, const float* inp, const float* inp_pre_activation,
                    const float* weight, int B, int C, int OC, Activation inp_activation,
                    float leaky_relu_slope) {
  if (dinp != nullptr) {
    const BackwardBlock layer{inp, inp_pre_activation, C, inp_activation, leaky_relu_slope};
    GemmEpilogue epilogue;
    if (inp_activation != Activation::identity) {
      epilogue.finish = finish_backward_block;
      epilogue.context = &layer;
    }
    matrix_product(false, true, B, C, OC, dout, OC, weight, OC, 0.0f, dinp, C, epilogue);
  }
  GemmEpilogue epilogue;
  epilogue.b_column_sums = dbias;
  matrix_product(true, false, C, OC, B, inp, C, dout, OC, dweight_beta, dweight, OC, epilogue);
}

}  // namespace fastdnn
