#include "nn/quantized_dense.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/parallel.h"
#include "kernels/thread_scratch.h"
#include "kernels/vectorize_for_cpu.h"

namespace fastdnn {

namespace {

// |Σ (code − zero_point)·q| ≤ 255·127·C must stay inside int32.
constexpr int kMaxFanIn = 65536;

// Rows that are cheaper to run on one thread than to share.
bool worth_sharing(long rows, long width) {
  return rows * width >= (1L << 16);
}

// out (rows, OC) ← dequantized sums plus bias. Its file is compiled without
// fused multiply-adds, so each of the CPU levels it is built for rounds the
// same way: the output's bits do not depend on the machine's ISA.
FASTDNN_VECTORIZE_FOR_CPU
void dequantize_rows(float* out, const int32_t* sums, long lds, const float* row_scale,
                     const int32_t* zero_point, const int32_t* column_sum,
                     const float* column_scale, const float* bias, int first, int end, int OC) {
  for (int i = first; i < end; ++i) {
    const int32_t* row_sums = sums + i * lds;
    float* row = out + static_cast<long>(i) * OC;
    const int32_t offset = zero_point[i];
    const float scale = row_scale[i];
    for (int j = 0; j < OC; ++j) {
      const float exact = static_cast<float>(row_sums[j] - offset * column_sum[j]);
      row[j] = exact * scale * column_scale[j] + bias[j];
    }
  }
}

// Negative floats' bits, read as integers, order backwards; flipping all but
// the sign bit of those turns float order into integer order (for finite
// floats). float_from_order_key undoes it.
constexpr int32_t kExponentBits = 0x7f800000;

inline int32_t float_order_key(int32_t bits) {
  return bits ^ ((bits >> 31) & 0x7fffffff);
}

inline float float_from_order_key(int32_t key) {
  const int32_t bits = key ^ ((key >> 31) & 0x7fffffff);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// A row holding NaN or infinity: a NaN scale turns its outputs to NaN.
void mark_nonfinite(uint8_t* codes, long ldq, float* scale, int32_t* zero_point) {
  *scale = std::numeric_limits<float>::quiet_NaN();
  *zero_point = 0;
  std::memset(codes, 0, ldq);
}

FASTDNN_VECTORIZE_FOR_CPU
void quantize_row(uint8_t* codes, long ldq, float* scale, int32_t* zero_point, const float* x,
                  int C) {
  // The compiler will not vectorize a float minimum (NaN makes it order
  // dependent), but finite floats order as these integer keys do, which it
  // vectorizes, and the same pass finds NaN and infinity by their exponent.
  int32_t low_key = 0, high_key = 0;  // the keys of 0.0f
  int32_t nonfinite = 0;
  for (int j = 0; j < C; ++j) {
    int32_t bits;
    std::memcpy(&bits, x + j, sizeof bits);
    nonfinite |= static_cast<int32_t>((bits & kExponentBits) == kExponentBits);
    const int32_t key = float_order_key(bits);
    low_key = std::min(low_key, key);
    high_key = std::max(high_key, key);
  }
  if (nonfinite) return mark_nonfinite(codes, ldq, scale, zero_point);
  const float low = float_from_order_key(low_key), high = float_from_order_key(high_key);
  const float step = (high - low) / 255.0f;
  if (!std::isfinite(step)) return mark_nonfinite(codes, ldq, scale, zero_point);
  if (step == 0.0f) {  // an all-zero row
    *scale = 1.0f;
    *zero_point = 0;
    std::memset(codes, 0, ldq);
    return;
  }
  const float inverse = 1.0f / step;
  // x·inverse lies within [−255, 255]: the conversions cannot overflow.
  const int32_t offset = std::clamp(static_cast<int32_t>(std::nearbyint(-low * inverse)), 0, 255);
  for (int j = 0; j < C; ++j) {
    const int32_t code = static_cast<int32_t>(std::nearbyint(x[j] * inverse)) + offset;
    codes[j] = static_cast<uint8_t>(std::clamp(code, 0, 255));
  }
  std::memset(codes + C, 0, ldq - C);
  *scale = step;
  *zero_point = offset;
}

}  // namespace

QuantizedDense quantize_dense(const float* weight, const float* column_factor, const float* bias,
                              int C, int OC) {
  if (C > kMaxFanIn) {
    throw std::invalid_argument("int8 inference takes layers of at most " +
                                std::to_string(kMaxFanIn) + " inputs; this one has " +
                                std::to_string(C));
  }
  QuantizedDense layer;
  layer.column_scale.assign(OC, 1.0f);
  layer.column_sum.assign(OC, 0);
  layer.bias.assign(bias, bias + OC);
  std::vector<float> effective(static_cast<size_t>(C) * OC);
  for (long p = 0; p < C; ++p) {
    for (int j = 0; j < OC; ++j) {
      const float factor = column_factor != nullptr ? column_factor[j] : 1.0f;
      effective[p * OC + j] = weight[p * OC + j] * factor;
    }
  }
  std::vector<float> largest(OC, 0.0f);
  for (long p = 0; p < C; ++p) {
    for (int j = 0; j < OC; ++j)
      // Written so that a NaN wins the comparison, as std::max would not let it.
      largest[j] = std::fabs(effective[p * OC + j]) <= largest[j]
                       ? largest[j]
                       : std::fabs(effective[p * OC + j]);
  }
  for (int j = 0; j < OC; ++j) {
    if (!std::isfinite(largest[j])) {
      throw std::invalid_argument("int8 inference needs finite weights");
    }
    if (largest[j] > 0.0f) layer.column_scale[j] = largest[j] / 127.0f;
  }
  std::vector<int8_t> codes(effective.size());
  for (long p = 0; p < C; ++p) {
    for (int j = 0; j < OC; ++j) {
      const float code = std::nearbyint(effective[p * OC + j] / layer.column_scale[j]);
      codes[p * OC + j] = static_cast<int8_t>(std::min(std::max(code, -127.0f), 127.0f));
      layer.column_sum[j] += codes[p * OC + j];
    }
  }
  layer.weight = Int8PackedWeights(codes.data(), C, OC);
  return layer;
}

void quantize_rows(uint8_t* codes, long ldq, float* scale, int32_t* zero_point, const float* x,
                   int rows, int C) {
  parallel_ranges(rows, worth_sharing(rows, C), [&](long first, long end) {
    for (long i = first; i < end; ++i) {
      quantize_row(codes + i * ldq, ldq, scale + i, zero_point + i, x + i * C, C);
    }
  });
}

void quantized_dense_forward(float* out, const float* inp, const QuantizedDense& layer, int B) {
  const int C = layer.weight.rows(), OC = layer.weight.columns();
  const long ldq = layer.weight.padded_rows(), lds = layer.weight.padded_columns();
  const long padded_rows = int8_gemm_rows(B);
  auto* codes = reinterpret_cast<uint8_t*>(
      thread_scratch(ScratchSlot::quantized_codes, static_cast<size_t>(padded_rows * ldq / 4)));
  auto* sums = reinterpret_cast<int32_t*>(
      thread_scratch(ScratchSlot::quantized_sums, static_cast<size_t>(padded_rows * lds)));
  float* row_scale = thread_scratch(ScratchSlot::quantized_row_scales, B);
  auto* zero_point =
      reinterpret_cast<int32_t*>(thread_scratch(ScratchSlot::quantized_zero_points, B));
  quantize_rows(codes, ldq, row_scale, zero_point, inp, B, C);
  // The tile rows past B: read by the AMX kernel, their sums never used.
  std::memset(codes + B * ldq, 0, (padded_rows - B) * ldq);
  int8_gemm(B, codes, ldq, layer.weight, sums, lds);
  parallel_ranges(B, worth_sharing(B, OC), [&](long first, long end) {
    dequantize_rows(out, sums, lds, row_scale, zero_point, layer.column_sum.data(),
                    layer.column_scale.data(), layer.bias.data(), static_cast<int>(first),
                    static_cast<int>(end), OC);
  });
}

}  // namespace fastdnn
