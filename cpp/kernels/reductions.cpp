#include "kernels/reductions.h"

#include <cmath>

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
double serial_sum_of_absolute_values(const float* x, long n) {
  return lane_sum(n, [x](long i) { return std::fabs(static_cast<double>(x[i])); });
}

}  // namespace

double sum_of_squares(const float* x, long n) {
  return chunked_sum(
      n, [x](long begin, long end) { return serial_sum_of_squares(x + begin, end - begin); });
}

double sum_of_absolute_values(const float* x, long n) {
  return chunked_sum(n, [x](long begin, long end) {
    return serial_sum_of_absolute_values(x + begin, end - begin);
  });
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
