#include "kernels/reductions.h"

#include <cmath>

namespace fastdnn {

namespace {

constexpr int kLanes = 8;

// Σ term(x_i) in kLanes lanes; term maps a double to what is summed.
template <class Term>
double lane_sum(const float* x, long n, Term term) {
  double lanes[kLanes] = {};
  long i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += term(static_cast<double>(x[i + lane]));
  }
  for (int lane = 0; i < n; ++i, ++lane) lanes[lane] += term(static_cast<double>(x[i]));
  double sum = 0.0;
  for (double lane : lanes) sum += lane;
  return sum;
}

}  // namespace

double sum_of_squares(const float* x, long n) {
  return lane_sum(x, n, [](double value) { return value * value; });
}

SumAndSumOfSquares sum_and_sum_of_squares(const float* x, long n) {
  double sums[kLanes] = {};
  double squares[kLanes] = {};
  long i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
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
  for (int lane = 0; lane < kLanes; ++lane) {
    result.sum += sums[lane];
    result.sum_of_squares += squares[lane];
  }
  return result;
}

double sum_of_absolute_values(const float* x, long n) {
  return lane_sum(x, n, [](double value) { return std::fabs(value); });
}

}  // namespace fastdnn
