#pragma once

#include <array>
#include <string>

#include "kernels/enum_names.h"

namespace fastdnn {

// Instruction-set paths the kernels are built for, best last.
enum class Isa { generic, avx2, avx512 };

// The path in use: the best one this CPU supports, unless FASTDNN_ISA
// (generic|avx2|avx512) or set_isa() asks for another.
Isa active_isa();

// Forces a path (tests run the kernels on every path one machine offers).
// Throws std::invalid_argument for a path this CPU cannot run.
void set_isa(Isa isa);

bool cpu_supports(Isa isa);

// Bit `bit` of register (0 EAX, 1 EBX, 2 ECX, 3 EDX) of CPUID leaf 7,
// sub-leaf `subleaf`; false off x86. CPUID traps to the hypervisor on a
// virtual machine: callers probe once and keep the answer.
bool cpuid_leaf7_bit(unsigned subleaf, unsigned register_index, unsigned bit);
// Asks Linux for the AMX tile state (granted once per process, to every
// thread); whether this process has it. False elsewhere.
bool amx_state_permitted();

template <>
struct EnumNames<Isa> {
  static constexpr const char* kind = "instruction set";
  static constexpr std::array<NamedValue<Isa>, 3> table{{
      {Isa::generic, "generic"},
      {Isa::avx2, "avx2"},
      {Isa::avx512, "avx512"},
  }};
};

}  // namespace fastdnn
