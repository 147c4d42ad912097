#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#if defined(FASTDNN_X86_BACKENDS)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

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

bool cpuid_leaf7_bit(unsigned subleaf, unsigned register_index, unsigned bit) {
#if defined(FASTDNN_X86_BACKENDS)
  unsigned registers[4];
  if (!__get_cpuid_count(7, subleaf, &registers[0], &registers[1], &registers[2], &registers[3])) {
    return false;
  }
  return (registers[register_index] >> bit) & 1u;
#else
  (void)subleaf, (void)register_index, (void)bit;
  return false;
#endif
}

bool amx_state_permitted() {
#if defined(FASTDNN_X86_BACKENDS) && defined(__linux__)
  constexpr long kRequestPermission = 0x1023;  // ARCH_REQ_XCOMP_PERM
  constexpr long kTileData = 18;               // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
  return false;
#endif
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
