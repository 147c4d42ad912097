#pragma once

namespace fastdnn {

// Sums over float arrays, accumulated in double (squares of large but finite
// float32 values overflow float32) in a fixed number of independent lanes
// combined in lane order: the compiler vectorises the lanes (one accumulator
// would serialise the loop, since it may not reorder additions), and the
// result is the same whatever the thread count or ISA path.

struct SumAndSumOfSquares {
  double sum = 0.0;
  double sum_of_squares = 0.0;
};

// Σ x² over x (n).
double sum_of_squares(const float* x, long n);

// Σ x and Σ x² over x (n), in one pass.
SumAndSumOfSquares sum_and_sum_of_squares(const float* x, long n);

// Σ |x| over x (n).
double sum_of_absolute_values(const float* x, long n);

}  // namespace fastdnn
