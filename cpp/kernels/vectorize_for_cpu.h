#pragma once

// FASTDNN_VECTORIZE_FOR_CPU before a function has the compiler build it once
// per x86-64 level (AVX-512, AVX2+FMA, baseline), and the loader pick one by
// CPUID. For loops of plain integer or float arithmetic in one source (arena
// passes, reductions, the random generator): they need no translation unit
// per ISA as the GEMM's micro-kernels do. FASTDNN_ISA steers the GEMM and
// activation kernels, not these. Functions it inlines are built for the same
// level as the clone they are inlined into.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FASTDNN_VECTORIZE_FOR_CPU \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FASTDNN_VECTORIZE_FOR_CPU
#endif
