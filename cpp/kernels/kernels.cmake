# Kernel sources. Each ISA backend is its own translation unit compiled with
# its own flags, so one build runs on any x86-64 and picks a path at run time
# (cpu_features.cpp). No tuning for the build machine's own CPU: the build
# must run on other CPUs.
set(FASTDNN_KERNEL_SOURCES
  cpp/kernels/bf16_gemm.cpp
  cpp/kernels/bf16_gemm_generic.cpp
  cpp/kernels/cpu_features.cpp
  cpp/kernels/gemm.cpp
  cpp/kernels/gemm_generic.cpp
  cpp/kernels/int8_gemm.cpp
  cpp/kernels/int8_gemm_generic.cpp
  cpp/kernels/matrix_precision.cpp
  cpp/kernels/random.cpp
  cpp/kernels/reductions.cpp
  cpp/kernels/thread_scratch.cpp
)
# The portable path promises plain multiply then add, never a fused one.
set_source_files_properties(cpp/kernels/gemm_generic.cpp cpp/kernels/bf16_gemm_generic.cpp PROPERTIES
  COMPILE_OPTIONS "$<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-ffp-contract=off>")

set(FASTDNN_X86_BACKENDS OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$"
   AND CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang)$")
  set(FASTDNN_X86_BACKENDS ON)
  list(APPEND FASTDNN_KERNEL_SOURCES
    cpp/kernels/gemm_avx2.cpp
    cpp/kernels/gemm_avx512.cpp
    cpp/kernels/int8_gemm_avx2.cpp
    cpp/kernels/int8_gemm_vnni.cpp
  )
  set_source_files_properties(cpp/kernels/gemm_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(cpp/kernels/gemm_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512dq;-mavx512bw;-mavx512vl;-mfma")
  set_source_files_properties(cpp/kernels/int8_gemm_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(cpp/kernels/int8_gemm_vnni.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vnni")
  # AMX needs GCC 11 or Clang 12; older compilers build without that kernel.
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag("-mamx-tile -mamx-int8" FASTDNN_COMPILER_HAS_AMX)
  set(FASTDNN_INT8_DEFINITIONS FASTDNN_X86_BACKENDS)
  if(FASTDNN_COMPILER_HAS_AMX)
    list(APPEND FASTDNN_KERNEL_SOURCES cpp/kernels/int8_gemm_amx.cpp)
    set_source_files_properties(cpp/kernels/int8_gemm_amx.cpp PROPERTIES
      COMPILE_OPTIONS "-mamx-tile;-mamx-int8")
    list(APPEND FASTDNN_INT8_DEFINITIONS FASTDNN_AMX_KERNEL)
  endif()
  # bf16: VDPBF16PS needs GCC 10 or Clang 9, TDPBF16PS GCC 11 or Clang 12
  # (whose AMX kernel shares int8's tile configuration); older compilers build
  # without them and run the portable bf16 loop.
  check_cxx_compiler_flag("-mavx512bf16" FASTDNN_COMPILER_HAS_AVX512_BF16)
  check_cxx_compiler_flag("-mamx-tile -mamx-bf16" FASTDNN_COMPILER_HAS_AMX_BF16)
  set(FASTDNN_BF16_DEFINITIONS FASTDNN_X86_BACKENDS)
  if(FASTDNN_COMPILER_HAS_AVX512_BF16)
    list(APPEND FASTDNN_KERNEL_SOURCES cpp/kernels/bf16_gemm_avx512_bf16.cpp)
    set_source_files_properties(cpp/kernels/bf16_gemm_avx512_bf16.cpp PROPERTIES
      COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512bf16;-mfma")
    list(APPEND FASTDNN_BF16_DEFINITIONS FASTDNN_BF16_AVX512_KERNEL)
  endif()
  if(FASTDNN_COMPILER_HAS_AMX AND FASTDNN_COMPILER_HAS_AMX_BF16 AND FASTDNN_COMPILER_HAS_AVX512_BF16)
    list(APPEND FASTDNN_KERNEL_SOURCES cpp/kernels/bf16_gemm_amx.cpp)
    set_source_files_properties(cpp/kernels/bf16_gemm_amx.cpp PROPERTIES
      COMPILE_OPTIONS "-mamx-tile;-mamx-bf16;-mavx512f;-mavx512bw;-mavx512vl;-mavx512bf16")
    list(APPEND FASTDNN_BF16_DEFINITIONS FASTDNN_BF16_AMX_KERNEL)
  endif()
  set_source_files_properties(cpp/kernels/bf16_gemm.cpp PROPERTIES
    COMPILE_DEFINITIONS "${FASTDNN_BF16_DEFINITIONS}")
  # Only the dispatchers and the CPU probe need to know the x86 paths exist.
  set_source_files_properties(cpp/kernels/gemm.cpp cpp/kernels/cpu_features.cpp
    cpp/nn/activation.cpp PROPERTIES COMPILE_DEFINITIONS FASTDNN_X86_BACKENDS)
  set_source_files_properties(cpp/kernels/int8_gemm.cpp PROPERTIES
    COMPILE_DEFINITIONS "${FASTDNN_INT8_DEFINITIONS}")
endif()
