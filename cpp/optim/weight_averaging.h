#pragma once

namespace fastdnn {

// Averages of the optimizer's iterates, updated after each step; the average
// starts equal to the first iterate it sees (count = 1), so neither needs a
// bias correction. Written as increments, avg += c·(params − avg), so that a
// parameter that does not move (a frozen layer) stays bit-identical.
// average, params (n): one pass over a range of the arena.

// Polyak–Ruppert averaging: the arithmetic mean of the `count` iterates seen,
//   avg ← avg + (params − avg) / count.
void polyak_average_update(float* average, const float* params, long n, long count);

// Exponential moving average with decay d:
//   avg ← avg + (1 − d)·(params − avg)   (= d·avg + (1−d)·params).
void ema_update(float* average, const float* params, long n, float decay);

// The decay an EMA uses when `averaged` iterates are already in it:
// min(decay, (1 + averaged)/(10 + averaged)), TensorFlow's num_updates
// warm-up. A young average forgets fast, so that early in training it
// follows the weights instead of staying near the first iterate (its
// horizon, 1/(1 − d), is about a ninth of its age); the nominal decay takes
// over once the average is (10·decay − 1)/(1 − decay) iterates old.
double ema_warmed_up_decay(double decay, long averaged);

}  // namespace fastdnn
