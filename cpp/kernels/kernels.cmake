# Kernel sources. Each ISA backend is its own translation unit compiled with
# its own flags, so one build runs on any x86-64 and picks a path at run time
# (cpu_features.cpp). -ffp-contract=off: the compiler must not fuse a
# multiply and an add on its own, or two paths that gemm.h promises agree bit
# for bit could round differently; the kernels fuse explicitly where they mean to.
set(FASTDNN_KERNEL_SOURCES
  cpp/kernels/cpu_features.cpp
  cpp/kernels/gemm.cpp
  cpp/kernels/gemm_generic.cpp
  cpp/kernels/gemm_avx2.cpp
  cpp/kernels/gemm_avx512.cpp
)
set_source_files_properties(cpp/kernels/gemm_generic.cpp
  PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
set_source_files_properties(cpp/kernels/gemm_avx2.cpp
  PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-ffp-contract=off")
set_source_files_properties(cpp/kernels/gemm_avx512.cpp
  PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512dq;-mavx512bw;-mavx512vl;-mfma;-ffp-contract=off")
