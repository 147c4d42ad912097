#pragma once

#include <vector>

#include "kernels/aligned_buffer.h"

namespace fastdnn {

// An optimizer owns its state (arenas of the parameters' layout, zero at the
// start, and any scalar its rule carries from step to step) and its update
// rule. A step is start_step once, then update on each range of the arena
// that trains.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // The state arenas, in the order pickles store them.
  std::vector<AlignedVector<float>>& state() { return state_; }

  // Step t ≥ 1 begins at this learning rate. Rules with constants that every
  // range of the step shares (bias corrections) compute them here, once,
  // since their powers cost more than a small layer's update.
  virtual void start_step(long t, float learning_rate) {
    static_cast<void>(t);
    learning_rate_ = learning_rate;
  }

  // Updates params[begin, end) from grad[begin, end); params and grad point
  // at the arena's start. l2_scale: the L2 penalty's gradient,
  // l2_scale·params, is added to grad inside the step (as PyTorch's coupled
  // weight_decay), 0 for none. rate_scale multiplies the step's learning
  // rate for this range (a layer's layer_learning_rates entry; 1 for none).
  // Returns Σ params² as they were before the step, read in the same pass:
  // the L2 penalty of the weights the gradient was taken at.
  virtual double update(float* params, const float* grad, long begin, long end, float l2_scale,
                        float rate_scale) = 0;

  // A trainer restored after t steps (pickling, partial_fit): whatever scalar
  // state the rule carries becomes what those steps would have left.
  virtual void restore_step(long t) { static_cast<void>(t); }

 protected:
  Optimizer(int n_arenas, long n_parameters)
      : state_(n_arenas, AlignedVector<float>(n_parameters, 0.0f)) {}

  std::vector<AlignedVector<float>> state_;
  float learning_rate_ = 0.0f;  // the step's, as start_step records it
};

}  // namespace fastdnn
