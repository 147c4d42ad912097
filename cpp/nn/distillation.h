#pragma once

#include "nn/loss.h"

namespace fastdnn {

// Knowledge distillation (Hinton, Vinyals & Dean, "Distilling the Knowledge
// in a Neural Network", 2015): the student's loss becomes
//   (1 − w)·CE(y, z) + w·T²·KL(q ‖ s),  q = f(z_teacher/T),  s = f(z/T),
// f the output's softmax (log_loss) or each output's logistic
// (binary_log_loss, a Bernoulli KL per output). T² keeps the soft term's
// gradient, w·T·(s − q), on the scale of the hard one's as T grows.
//
// delta (B,O) holds the hard loss's gradient (f(z) − y)·w_i/weight_sum, as
// loss_forward_backward writes it; it becomes the blend's gradient. Returns
// (1 − w)·hard_loss + w·T²·Σ_i w_i·KL_i / weight_sum. Regression losses take
// no teacher logits: a regressor distils by blending its targets.
double distillation_forward_backward(float* delta, const float* z, const float* teacher_logits,
                                     const float* sample_weight, int B, int O, Loss loss,
                                     double weight_sum, double hard_loss, float weight,
                                     float temperature);

}  // namespace fastdnn
