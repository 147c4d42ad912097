#include "kernels/thread_count.h"

#include <omp.h>

namespace fastdnn {

ThreadCountScope::ThreadCountScope(int n_threads) {
  if (n_threads <= 0) return;
  previous_ = omp_get_max_threads();
  omp_set_num_threads(n_threads);
}

ThreadCountScope::~ThreadCountScope() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

}  // namespace fastdnn
