#pragma once

#include "nn/activation.h"

namespace fastdnn {

// out (rows, cols) ← the output activation of z (rows, cols), computed in
// double: the output of a model fitted on float64 data. The network computes
// in float32 up to the output layer's pre-activation z; taking the activation
// in double keeps what scikit-learn's float64 outputs keep, probabilities
// beyond float32's range (a sigmoid of z = -200 is about 1e-87, which float32
// rounds to 0, and the log of it to -inf).
void output_activation_in_double(double* out, const float* z, long rows, int cols,
                                 Activation activation);

}  // namespace fastdnn
