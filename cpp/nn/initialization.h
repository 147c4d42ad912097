#pragma once

#include <cstdint>

namespace fastdnn {

// weight (fan_in,fan_out) and bias (fan_out) ~ U(−bound, bound) with
// bound = sqrt(factor / (fan_in + fan_out)): Glorot & Bengio (2010), with
// scikit-learn's choices of factor (6, or 2 for a logistic net) and of drawing
// the biases from the same law. Numbers come from Philox keyed by
// (seed, layer, element), so they do not depend on threads or call order.
void glorot_uniform_initialize(float* weight, float* bias, int fan_in, int fan_out, double factor,
                               uint64_t seed, int layer);

}  // namespace fastdnn
