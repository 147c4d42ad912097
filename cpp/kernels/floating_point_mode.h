#pragma once

// The floating-point mode the engine computes in: subnormal floats count as
// zero, as operands (denormals-are-zero) and as results (flush-to-zero).
//
// Why: an x86 core takes a slow microcode assist for every operation that
// meets a subnormal. Training drives values there: Adam's second moments of
// gradients that have died away, deltas of units that saturate, and a small
// net's epochs slow down severalfold as they accumulate
// (docs/architecture.md). Values that small (below 1.2e-38) carry nothing a
// network's output can show.
//
// The mode belongs to a thread, so every entry point into the engine sets it
// on its calling thread for the call and restores the caller's afterwards
// (NumPy code on that thread keeps IEEE gradual underflow), and every thread
// that runs part of a job adopts the mode of the thread that posted it
// (parallel.cpp): results depend on neither the thread count nor the thread.
// Off x86-64 the mode is left as the caller has it.

namespace fastdnn {

// The calling thread's floating-point control bits, without its sticky
// exception flags (MXCSR on x86-64; 0 elsewhere).
unsigned floating_point_mode();

// `mode` with subnormals counted as zero.
unsigned with_subnormals_as_zero(unsigned mode);

// Runs the calling thread in `mode` while in scope, then restores what it had.
class FloatingPointModeScope {
 public:
  explicit FloatingPointModeScope(unsigned mode);
  ~FloatingPointModeScope();
  FloatingPointModeScope(const FloatingPointModeScope&) = delete;
  FloatingPointModeScope& operator=(const FloatingPointModeScope&) = delete;

 private:
  unsigned previous_ = 0;  // the whole register, flags included
  bool changed_ = false;
};

// The engine's mode on the calling thread while in scope: one per entry point.
class EngineFloatingPointMode : public FloatingPointModeScope {
 public:
  EngineFloatingPointMode()
      : FloatingPointModeScope(with_subnormals_as_zero(floating_point_mode())) {}
};

}  // namespace fastdnn
