# Kernel sources. Each ISA backend is its own translation unit compiled with
# its own flags, so one build runs on any x86-64 and picks a path at run time.
set(FASTDNN_KERNEL_SOURCES
  cpp/kernels/cpu_features.cpp
  cpp/kernels/gemm.cpp
  cpp/kernels/gemm_generic.cpp
)
