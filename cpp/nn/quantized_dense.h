#pragma once

#include <cstdint>
#include <vector>

#include "kernels/int8_gemm.h"

namespace fastdnn {

// A dense layer for int8 inference (dynamic quantization, as ONNX Runtime's
// and PyTorch's quantize_dynamic do): weights become signed 8-bit integers
// once, with one scale per output unit; each input row becomes unsigned
// 8-bit integers as it arrives, with its own scale and zero point. The
// product is exact integer arithmetic, so a row's output is the same bits
// whatever the batch, the thread count or the kernel (AMX, VNNI, portable).
struct QuantizedDense {
  Int8PackedWeights weight;
  std::vector<float> column_scale;  // weight[:, j] ≈ column_scale[j] · q[:, j]
  std::vector<int32_t> column_sum;  // Σ_p q[p, j]: the zero point's share of each sum
  std::vector<float> bias;
};

// The int8 form of a layer whose effective weights are weight (C,OC) times
// column_factor (OC) column by column (weight norm's g/‖v‖; null for none).
QuantizedDense quantize_dense(const float* weight, const float* column_factor, const float* bias,
                              int C, int OC);

// The quantized form of every weight layer of a network, in layer order.
struct QuantizedNetwork {
  std::vector<QuantizedDense> layers;
};

// codes (rows, ldq) ← each row of x (rows, C) as unsigned 8-bit integers,
// x ≈ scale·(code − zero_point), with zeros from column C to ldq. The range
// [min(0, row min), max(0, row max)] spans 0..255, so 0 is exact (ReLU's
// zeros cost nothing); a row holding NaN or infinity gets a NaN scale, which
// turns its outputs to NaN.
void quantize_rows(uint8_t* codes, long ldq, float* scale, int32_t* zero_point, const float* x,
                   int rows, int C);

// out (B,OC) ≈ inp (B,C) · weight + bias, through int8.
void quantized_dense_forward(float* out, const float* inp, const QuantizedDense& layer, int B);

}  // namespace fastdnn
