#pragma once

namespace fastdnn {

// Sets how many threads the calling thread's OpenMP regions use while it is
// in scope, then restores the previous count. n_threads ≤ 0 leaves OpenMP's
// own setting, which OMP_NUM_THREADS and threadpoolctl control. The setting is
// per calling thread, so two Python threads training at once do not interfere.
// Results never depend on it (see gemm.h), only speed does.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int n_threads);
  ~ThreadCountScope();
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace fastdnn
