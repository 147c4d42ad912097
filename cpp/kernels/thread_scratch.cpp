#include "kernels/thread_scratch.h"

#include "kernels/aligned_buffer.h"

namespace fastdnn {

float* thread_scratch(ScratchSlot slot, std::size_t floats) {
  thread_local AlignedVector<float> buffers[static_cast<int>(ScratchSlot::count)];
  AlignedVector<float>& buffer = buffers[static_cast<int>(slot)];
  if (buffer.size() < floats) {
    // Drop the old block before allocating the new one: its contents are dead.
    AlignedVector<float>().swap(buffer);
    buffer.resize(floats);
  }
  return buffer.data();
}

}  // namespace fastdnn
