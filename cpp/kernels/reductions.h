#pragma once

namespace fastdnn {

// Sums over float arrays, accumulated in double (squares of large but finite
// float32 values overflow float32) in a fixed number of independent lanes
// combined in lane order: the compiler vectorises the lanes (one accumulator
// would serialise the loop, since it may not reorder additions). Long arrays
// are summed in fixed chunks on several threads (kernels/arena_pass.h); the
// result is the same whatever the thread count.

inline constexpr int kSumLanes = 8;

// Σ term(i) for i in [0, n), term(i) a double, in kSumLanes lanes: element i
// goes to lane i mod kSumLanes, and the lanes are added in lane order.
// Inlined into its caller, so it is vectorised for the caller's ISA.
template <class Term>
[[gnu::always_inline]] inline double lane_sum(long n, Term term) {
  double lanes[kSumLanes] = {};
  long i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    for (int lane = 0; lane < kSumLanes; ++lane) lanes[lane] += term(i + lane);
  }
  for (int lane = 0; i < n; ++i, ++lane) lanes[lane] += term(i);
  double sum = 0.0;
  for (double lane : lanes) sum += lane;
  return sum;
}

struct SumAndSumOfSquares {
  double sum = 0.0;
  double sum_of_squares = 0.0;
};

// Σ x² over x (n).
double sum_of_squares(const float* x, long n);

// Σ x and Σ x² over x (n), in one pass.
SumAndSumOfSquares sum_and_sum_of_squares(const float* x, long n);

// Σ (x − y)² over x, y (n), each difference taken in double.
double sum_of_squared_differences(const float* x, const float* y, long n);

// Σ |x| over x (n).
double sum_of_absolute_values(const float* x, long n);

// Whether every value of x (n) is finite: no NaN, no infinity.
bool all_finite(const float* x, long n);
bool all_finite(const double* x, long n);

// Whether every value of x (n) is a float32 short of infinity once rounded:
// finite and of magnitude at most float32's largest, 3.4028235e38.
bool within_float32_range(const double* x, long n);

}  // namespace fastdnn
