#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace fastdnn {

namespace {

Isa best_supported_isa() {
  if (cpu_supports(Isa::avx512)) return Isa::avx512;
  if (cpu_supports(Isa::avx2)) return Isa::avx2;
  return Isa::generic;
}

Isa initial_isa() {
  const char* forced = std::getenv("FASTDNN_ISA");
  if (forced == nullptr || *forced == '\0') return best_supported_isa();
  const Isa isa = from_name<Isa>(forced);
  if (!cpu_supports(isa)) {
    throw std::invalid_argument("FASTDNN_ISA=" + std::string(forced) +
                                " asks for a path this CPU cannot run");
  }
  return isa;
}

std::atomic<Isa>& isa_in_use() {
  static std::atomic<Isa> isa{initial_isa()};
  return isa;
}

}  // namespace

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return true;
#if defined(FASTDNN_X86_BACKENDS)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // Every extension gemm_avx512.cpp is compiled for, since the compiler may
    // use any of them.
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("fma");
#else
    default:
      return false;
#endif
  }
  return false;
}

Isa active_isa() {
  return isa_in_use().load(std::memory_order_relaxed);
}

void set_isa(Isa isa) {
  if (!cpu_supports(isa)) {
    throw std::invalid_argument("this CPU cannot run the " + name_of(isa) + " path");
  }
  isa_in_use().store(isa, std::memory_order_relaxed);
}

}  // namespace fastdnn
