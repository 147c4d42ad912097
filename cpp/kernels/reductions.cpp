#include "kernels/reductions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/arena_pass.h"

namespace fastdnn {

namespace {

FASTDNN_VECTORIZE_FOR_CPU
double serial_sum_of_squares(const float* x, long n) {
  return lane_sum(n, [x](long i) {
    const double value = x[i];
    return value * value;
  });
}

FASTDNN_VECTORIZE_FOR_CPU
double serial_sum_of_squared_differences(const float* x, const float* y, long n) {
  return lane_sum(n, [x, y](long i) {
    const double difference = static_cast<double>(x[i]) - static_cast<double>(y[i]);
    return difference * difference;
  });
}

FASTDNN_VECTORIZE_FOR_CPU
double serial_sum_of_absolute_values(const float* x, long n) {
  return lane_sum(n, [x](long i) { return std::fabs(static_cast<double>(x[i])); });
}

}  // namespace

double sum_of_squares(const float* x, long n) {
  return chunked_sum(
      n, [x](long begin, long end) { return serial_sum_of_squares(x + begin, end - begin); });
}

double sum_of_squared_differences(const float* x, const float* y, long n) {
  return chunked_sum(n, [x, y](long begin, long end) {
    return serial_sum_of_squared_differences(x + begin, y + begin, end - begin);
  });
}

double sum_of_absolute_values(const float* x, long n) {
  return chunked_sum(n, [x](long begin, long end) {
    return serial_sum_of_absolute_values(x + begin, end - begin);
  });
}

// A value is NaN or infinite when its exponent bits are all set. Tested on the
// bits and or-ed over a block, the loop has no branch and vectorises; as
// std::all_of over std::isfinite it ran one value at a time and made a
// visible part of a prediction's time.
template <class Bits, class Float>
[[gnu::always_inline]] inline bool exponents_not_all_set(const Float* x, long n, Bits exponent) {
  constexpr long kBlock = 4096;  // a non-finite value ends the scan within a block
  for (long begin = 0; begin < n; begin += kBlock) {
    const long end = std::min(n, begin + kBlock);
    Bits non_finite = 0;
    for (long i = begin; i < end; ++i) {
      Bits bits;
      std::memcpy(&bits, x + i, sizeof bits);
      non_finite |= (bits & exponent) == exponent;
    }
    if (non_finite != 0) return false;
  }
  return true;
}

FASTDNN_VECTORIZE_FOR_CPU
bool all_finite(const float* x, long n) {
  return exponents_not_all_set<std::uint32_t>(x, n, 0x7f800000u);
}

FASTDNN_VECTORIZE_FOR_CPU
bool all_finite(const double* x, long n) {
  return exponents_not_all_set<std::uint64_t>(x, n, 0x7ff0000000000000u);
}

// Blocked as above; NaN fails the comparison, so it is out of range too.
FASTDNN_VECTORIZE_FOR_CPU
bool within_float32_range(const double* x, long n) {
  constexpr double kLargest = std::numeric_limits<float>::max();
  constexpr long kBlock = 4096;
  for (long begin = 0; begin < n; begin += kBlock) {
    const long end = std::min(n, begin + kBlock);
    std::uint64_t outside = 0;
    for (long i = begin; i < end; ++i) outside |= !(std::fabs(x[i]) <= kLargest);
    if (outside != 0) return false;
  }
  return true;
}

// Statistics of one layer's activations on a sampled minibatch: short enough
// to stay on one thread.
FASTDNN_VECTORIZE_FOR_CPU
SumAndSumOfSquares sum_and_sum_of_squares(const float* x, long n) {
  double sums[kSumLanes] = {};
  double squares[kSumLanes] = {};
  long i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    for (int lane = 0; lane < kSumLanes; ++lane) {
      const double value = x[i + lane];
      sums[lane] += value;
      squares[lane] += value * value;
    }
  }
  for (int lane = 0; i < n; ++i, ++lane) {
    const double value = x[i];
    sums[lane] += value;
    squares[lane] += value * value;
  }
  SumAndSumOfSquares result;
  for (int lane = 0; lane < kSumLanes; ++lane) {
    result.sum += sums[lane];
    result.sum_of_squares += squares[lane];
  }
  return result;
}

}  // namespace fastdnn
