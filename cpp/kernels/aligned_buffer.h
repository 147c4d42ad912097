#pragma once

#include <atomic>
#include <cstddef>
#include <new>
#include <vector>

namespace fastdnn {

// Every engine buffer comes from AlignedAllocator, and each allocation is
// counted, so tests can show that a training epoch allocates nothing once its
// workspace is sized.
inline std::atomic<long>& buffer_allocation_count() {
  static std::atomic<long> count{0};
  return count;
}

// 64-byte alignment: one cache line, one AVX-512 register.
inline constexpr std::size_t kBufferAlignment = 64;

template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    buffer_allocation_count().fetch_add(1, std::memory_order_relaxed);
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kBufferAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete(p, std::align_val_t{kBufferAlignment});
  }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const noexcept {
    return false;
  }
};

template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace fastdnn
