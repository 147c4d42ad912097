#include "kernels/floating_point_mode.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace fastdnn {

namespace {

#if defined(__x86_64__)
constexpr unsigned kExceptionFlags = 0x3F;    // MXCSR bits 0-5, sticky
constexpr unsigned kDenormalsAreZero = 0x40;  // bit 6
constexpr unsigned kFlushToZero = 0x8000;     // bit 15
#endif

}  // namespace

unsigned floating_point_mode() {
#if defined(__x86_64__)
  return _mm_getcsr() & ~kExceptionFlags;
#else
  return 0;
#endif
}

unsigned with_subnormals_as_zero(unsigned mode) {
#if defined(__x86_64__)
  return mode | kDenormalsAreZero | kFlushToZero;
#else
  return mode;
#endif
}

FloatingPointModeScope::FloatingPointModeScope(unsigned mode) {
#if defined(__x86_64__)
  previous_ = _mm_getcsr();
  // Writing the register stalls the pipeline: skip it when nothing changes.
  if ((previous_ & ~kExceptionFlags) != mode) {
    _mm_setcsr(mode | (previous_ & kExceptionFlags));
    changed_ = true;
  }
#else
  (void)mode;
#endif
}

FloatingPointModeScope::~FloatingPointModeScope() {
#if defined(__x86_64__)
  if (changed_) _mm_setcsr(previous_);
#endif
}

}  // namespace fastdnn
