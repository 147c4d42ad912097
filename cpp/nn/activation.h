#pragma once

#include <string>

namespace fastdnn {

// Hidden activations and the output activations that pair with each loss
// (softmax with cross-entropy, logistic with binary cross-entropy, exp with
// Poisson, identity with squared error).
enum class Activation { identity, logistic, tanh, relu, softmax, exp };

Activation activation_from_name(const std::string& name);
std::string activation_name(Activation activation);

// x (rows,cols) ← f(x), in place; softmax normalises each row.
void activation_forward(float* x, long rows, int cols, Activation activation);

// delta (n) ← delta · f'(z), with f'(z) computed from the layer's output
// y = f(z) (sklearn's DERIVATIVES do the same), so z need not be kept.
void activation_backward(float* delta, const float* output, long n, Activation activation);

}  // namespace fastdnn
