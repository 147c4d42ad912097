// Kernels exposed for tests and benchmarks: they check every ISA path
// against numpy on one machine.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/engine_array.h"
#include "kernels/aligned_buffer.h"
#include "kernels/bf16_gemm.h"
#include "kernels/cpu_features.h"
#include "kernels/gemm.h"
#include "kernels/int8_gemm.h"
#include "kernels/parallel.h"
#include "kernels/random.h"
#include "kernels/reductions.h"
#include "kernels/thread_count.h"
#include "nn/activation.h"
#include "nn/quantized_dense.h"

namespace py = pybind11;

namespace {

// A float32 array as it is: converting would make an output a temporary
// copy that the kernel writes into and nobody reads, and costs more than a
// small product.
py::array float32_array(py::handle object, const char* name) {
  if (!py::array::check_(object) ||
      !py::reinterpret_borrow<py::array>(object).dtype().equal(py::dtype::of<float>())) {
    throw std::invalid_argument(std::string(name) + " must be a float32 numpy array");
  }
  auto array = py::reinterpret_borrow<py::array>(object);
  if (!(array.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    throw std::invalid_argument(std::string(name) + " must be aligned to 4 bytes");
  }
  return array;
}

// Row-major view of a 2-D float32 array whose rows may be strided but whose
// elements within a row are contiguous; returns the row stride in elements.
int row_stride(const py::array& matrix, const char* name) {
  if (matrix.ndim() != 2) throw std::invalid_argument(std::string(name) + " must be 2-D");
  // numpy gives empty arrays zero strides; nothing is read from them.
  if (matrix.size() == 0) return static_cast<int>(std::max<py::ssize_t>(matrix.shape(1), 1));
  if (matrix.strides(1) != static_cast<py::ssize_t>(sizeof(float)) && matrix.shape(1) > 1) {
    throw std::invalid_argument(std::string(name) + " must have contiguous rows");
  }
  return static_cast<int>(matrix.strides(0) / static_cast<py::ssize_t>(sizeof(float)));
}

// A 1-D float32 array of n elements, or null for None.
template <class Pointer>
Pointer vector_or_null(py::handle object, int n, const char* name) {
  if (object.is_none()) return nullptr;
  py::array vector = float32_array(object, name);
  if (vector.ndim() != 1 || vector.shape(0) != n || vector.strides(0) != sizeof(float)) {
    throw std::invalid_argument(std::string(name) + " must be a contiguous vector of " +
                                std::to_string(n) + " floats");
  }
  if constexpr (std::is_const_v<std::remove_pointer_t<Pointer>>) {
    return static_cast<Pointer>(vector.data());
  } else {
    if (!vector.writeable()) throw std::invalid_argument(std::string(name) + " must be writeable");
    return static_cast<Pointer>(vector.mutable_data());
  }
}

// c ← beta·c + op(a)·op(b) with the epilogue's bias and column sums, by
// product (sgemm_fused's arguments), on n_threads threads (0: OpenMP's setting).
template <class Product>
void gemm_binding(py::handle a_object, py::handle b_object, py::handle c_object, bool transpose_a,
                  bool transpose_b, float beta, py::handle bias, py::handle b_column_sums,
                  int n_threads, const Product& product) {
  py::array a = float32_array(a_object, "a"), b = float32_array(b_object, "b"),
            c = float32_array(c_object, "c");
  const int lda = row_stride(a, "a"), ldb = row_stride(b, "b"), ldc = row_stride(c, "c");
  const int m = static_cast<int>(transpose_a ? a.shape(1) : a.shape(0));
  const int k = static_cast<int>(transpose_a ? a.shape(0) : a.shape(1));
  const int n = static_cast<int>(transpose_b ? b.shape(0) : b.shape(1));
  const int k_b = static_cast<int>(transpose_b ? b.shape(1) : b.shape(0));
  if (k != k_b) throw std::invalid_argument("inner dimensions of op(a) and op(b) differ");
  if (c.shape(0) != m || c.shape(1) != n) throw std::invalid_argument("c has the wrong shape");
  if (!c.writeable()) throw std::invalid_argument("c must be writeable");
  const auto* a_data = static_cast<const float*>(a.data());
  const auto* b_data = static_cast<const float*>(b.data());
  auto* c_data = static_cast<float*>(c.mutable_data());
  fastdnn::GemmEpilogue epilogue;
  epilogue.bias = vector_or_null<const float*>(bias, n, "bias");
  epilogue.b_column_sums = vector_or_null<float*>(b_column_sums, n, "b_column_sums");
  py::gil_scoped_release release;
  const fastdnn::ThreadCountScope threads(n_threads);
  product(transpose_a, transpose_b, m, n, k, a_data, lda, b_data, ldb, beta, c_data, ldc, epilogue);
}

void sgemm_binding(py::handle a, py::handle b, py::handle c, bool transpose_a, bool transpose_b,
                   float beta, py::handle bias, py::handle b_column_sums) {
  gemm_binding(a, b, c, transpose_a, transpose_b, beta, bias, b_column_sums, 0,
               fastdnn::sgemm_fused);
}

void bf16_gemm_binding(py::handle a, py::handle b, py::handle c, bool transpose_a, bool transpose_b,
                       float beta, py::handle bias, py::handle b_column_sums,
                       const std::string& kernel, int n_threads) {
  const auto chosen = fastdnn::from_name<fastdnn::Bf16Kernel>(kernel);
  gemm_binding(a, b, c, transpose_a, transpose_b, beta, bias, b_column_sums, n_threads,
               [chosen](auto... arguments) { fastdnn::bf16_gemm_fused(arguments..., chosen); });
}

// op(b) packed once for bf16_gemm_prepacked, with b kept alive beside it.
struct PackedOperandHandle {
  py::array source;
  fastdnn::Bf16PackedOperand packed;
};

PackedOperandHandle bf16_pack_binding(py::handle b_object, bool transpose_b,
                                      const std::string& kernel) {
  py::array b = float32_array(b_object, "b");
  const int ldb = row_stride(b, "b");
  const int k = static_cast<int>(transpose_b ? b.shape(1) : b.shape(0));
  const int n = static_cast<int>(transpose_b ? b.shape(0) : b.shape(1));
  const auto* data = static_cast<const float*>(b.data());
  const auto chosen = fastdnn::from_name<fastdnn::Bf16Kernel>(kernel);
  py::gil_scoped_release release;
  return {b, fastdnn::bf16_pack_operand(transpose_b, k, n, data, ldb, chosen)};
}

void bf16_gemm_prepacked_binding(py::handle a, const PackedOperandHandle& b, py::handle c,
                                 bool transpose_a, float beta, py::handle bias, int n_threads) {
  const fastdnn::Bf16PackedOperand& packed = b.packed;
  gemm_binding(
      a, b.source, c, transpose_a, packed.transpose, beta, bias, py::none(), n_threads,
      [&packed](bool transpose_a, bool, int m, int, int, const float* a_data, int lda, const float*,
                int, float beta, float* c_data, int ldc, const fastdnn::GemmEpilogue& epilogue) {
        fastdnn::bf16_gemm_prepacked(transpose_a, m, a_data, lda, packed, beta, c_data, ldc,
                                     epilogue);
      });
}

// A C-contiguous float32 array the kernel may write into, or a ValueError.
py::array writeable_contiguous(py::handle object, const char* name) {
  py::array array = float32_array(object, name);
  if (!(array.flags() & py::array::c_style) || !array.writeable()) {
    throw std::invalid_argument(std::string(name) + " must be a writeable C-contiguous array");
  }
  return array;
}

void activation_forward_binding(py::handle x_object, const std::string& activation,
                                float leaky_relu_slope) {
  py::array x = writeable_contiguous(x_object, "x");
  if (x.ndim() != 2) throw std::invalid_argument("x must be 2-D");
  auto* data = static_cast<float*>(x.mutable_data());
  const auto kind = fastdnn::from_name<fastdnn::Activation>(activation);
  py::gil_scoped_release release;
  fastdnn::activation_forward(data, x.shape(0), static_cast<int>(x.shape(1)), kind,
                              leaky_relu_slope);
}

void activation_backward_binding(py::handle delta_object, EngineArray<float> z,
                                 EngineArray<float> y, const std::string& activation,
                                 float leaky_relu_slope) {
  py::array delta = writeable_contiguous(delta_object, "delta");
  if (z.size() != delta.size() || y.size() != delta.size()) {
    throw std::invalid_argument("delta, pre_activation and output must have the same size");
  }
  auto* data = static_cast<float*>(delta.mutable_data());
  const auto kind = fastdnn::from_name<fastdnn::Activation>(activation);
  py::gil_scoped_release release;
  fastdnn::activation_backward(data, z.data(), y.data(), delta.size(), kind, leaky_relu_slope);
}

using ByteArray = py::array_t<uint8_t, py::array::c_style>;
using SignedByteArray = py::array_t<int8_t, py::array::c_style>;

// c (m, n) int32 = a (m, k) uint8 · b (k, n) int8 with one int8 kernel: the
// packing and padding int8 inference does, around a plain product.
py::array_t<int32_t> int8_gemm_binding(const ByteArray& a, const SignedByteArray& b,
                                       const std::string& kernel, int n_threads) {
  if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(0)) {
    throw std::invalid_argument("int8_gemm needs a (m, k) and b (k, n)");
  }
  const int m = static_cast<int>(a.shape(0)), k = static_cast<int>(a.shape(1)),
            n = static_cast<int>(b.shape(1));
  const fastdnn::Int8Kernel chosen = fastdnn::from_name<fastdnn::Int8Kernel>(kernel);
  const fastdnn::Int8PackedWeights packed(b.data(), k, n);
  const long lda = packed.padded_rows(), ldc = packed.padded_columns();
  fastdnn::AlignedVector<uint8_t> padded_a(fastdnn::int8_gemm_rows(m) * lda, 0);
  for (long i = 0; i < m; ++i) std::copy(a.data(i, 0), a.data(i, 0) + k, &padded_a[i * lda]);
  fastdnn::AlignedVector<int32_t> padded_c(fastdnn::int8_gemm_rows(m) * ldc);
  {
    py::gil_scoped_release release;
    const fastdnn::ThreadCountScope threads(n_threads);
    fastdnn::int8_gemm(m, padded_a.data(), lda, packed, padded_c.data(), ldc, chosen);
  }
  py::array_t<int32_t> c({m, n});
  for (long i = 0; i < m; ++i) {
    std::copy(&padded_c[i * ldc], &padded_c[i * ldc] + n, c.mutable_data(i, 0));
  }
  return c;
}

}  // namespace

void bind_kernels(py::module_& module) {
#if defined(FASTDNN_SANITIZED_BUILD)
  module.attr("sanitized_build") = true;
#else
  module.attr("sanitized_build") = false;
#endif
  module.def("sgemm", &sgemm_binding, py::arg("a"), py::arg("b"), py::arg("c"),
             py::arg("transpose_a") = false, py::arg("transpose_b") = false, py::arg("beta") = 0.0f,
             py::arg("bias") = py::none(), py::arg("b_column_sums") = py::none(),
             "c ← beta·c + op(a)·op(b) in place (float32 arrays with contiguous rows; "
             "no conversion, so strided views are tested as they are). With the "
             "epilogue's bias, c ← bias + op(a)·op(b); b_column_sums += op(b)'s rows.");
  module.def("activation_forward", &activation_forward_binding, py::arg("x"), py::arg("activation"),
             py::arg("leaky_relu_slope") = 0.01f,
             "x (rows, cols) ← f(x) in place, with the active ISA's kernel.");
  module.def("activation_backward", &activation_backward_binding, py::arg("delta"),
             py::arg("pre_activation"), py::arg("output"), py::arg("activation"),
             py::arg("leaky_relu_slope") = 0.01f,
             "delta ← delta · f'(z) in place, given z = pre_activation and y = output = f(z).");
  module.def(
      "all_finite",
      // No forcecast: float64 values past float32's range would become inf.
      [](py::array_t<float, py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_> x) {
        const float* data = x.data();
        const long size = static_cast<long>(x.size());
        py::gil_scoped_release release;
        return fastdnn::all_finite(data, size);
      },
      py::arg("x"),
      "Whether a C-contiguous float32 array holds no NaN and no infinity (a "
      "vectorised scan of the exponent bits).");
  module.def(
      "active_isa", [] { return fastdnn::name_of(fastdnn::active_isa()); },
      "The instruction-set path the kernels use now.");
  module.def(
      "set_isa",
      [](const std::string& name) { fastdnn::set_isa(fastdnn::from_name<fastdnn::Isa>(name)); },
      py::arg("name"), "Force a kernel path: 'generic', 'avx2' or 'avx512'.");
  module.def(
      "supported_isas",
      [] {
        std::vector<std::string> names;
        for (auto isa : {fastdnn::Isa::generic, fastdnn::Isa::avx2, fastdnn::Isa::avx512}) {
          if (fastdnn::cpu_supports(isa)) names.push_back(fastdnn::name_of(isa));
        }
        return names;
      },
      "The kernel paths this CPU can run.");
  module.def("int8_gemm", &int8_gemm_binding, py::arg("a"), py::arg("b"),
             py::arg("kernel") = "automatic", py::arg("n_threads") = 0,
             "a (m, k) uint8 · b (k, n) int8 as int32, exactly, with one int8 kernel "
             "('automatic', 'generic', 'avx2', 'vnni' or 'amx').");
  module.def(
      "int8_kernels",
      [] {
        std::vector<std::string> names;
        for (const char* name : {"generic", "avx2", "vnni", "amx"}) {
          if (fastdnn::int8_kernel_supported(fastdnn::from_name<fastdnn::Int8Kernel>(name))) {
            names.push_back(name);
          }
        }
        return names;
      },
      "The int8 kernels this CPU (and OS) can run.");
  module.def(
      "automatic_int8_kernel", [] { return fastdnn::name_of(fastdnn::automatic_int8_kernel()); },
      "The int8 kernel int8 inference runs now.");
  module.def("bf16_gemm", &bf16_gemm_binding, py::arg("a"), py::arg("b"), py::arg("c"),
             py::arg("transpose_a") = false, py::arg("transpose_b") = false, py::arg("beta") = 0.0f,
             py::arg("bias") = py::none(), py::arg("b_column_sums") = py::none(),
             py::arg("kernel") = "automatic", py::arg("n_threads") = 0,
             "sgemm's product with the operands rounded to bfloat16 and float32 sums, "
             "by one bf16 kernel ('automatic', 'generic', 'avx512_bf16' or 'amx').");
  py::class_<PackedOperandHandle>(module, "Bf16PackedOperand",
                                  "op(b) rounded to bfloat16 and laid out for one bf16 kernel.")
      .def_property_readonly(
          "kernel",
          [](const PackedOperandHandle& handle) { return fastdnn::name_of(handle.packed.kernel); })
      .def_property_readonly("nbytes", [](const PackedOperandHandle& handle) {
        return handle.packed.values.size() * sizeof(uint16_t);
      });
  module.def("bf16_pack", &bf16_pack_binding, py::arg("b"), py::arg("transpose_b") = false,
             py::arg("kernel") = "automatic",
             "op(b) packed once, as bfloat16 inference packs its weights, for "
             "bf16_gemm_prepacked; b is kept, and must not change.");
  module.def("bf16_gemm_prepacked", &bf16_gemm_prepacked_binding, py::arg("a"), py::arg("b"),
             py::arg("c"), py::arg("transpose_a") = false, py::arg("beta") = 0.0f,
             py::arg("bias") = py::none(), py::arg("n_threads") = 0,
             "bf16_gemm with op(b) packed by bf16_pack: the same bits, without packing it.");
  module.def(
      "bf16_kernels",
      [] {
        std::vector<std::string> names;
        for (const char* name : {"generic", "avx512_bf16", "amx"}) {
          if (fastdnn::bf16_kernel_supported(fastdnn::from_name<fastdnn::Bf16Kernel>(name))) {
            names.push_back(name);
          }
        }
        return names;
      },
      "The bf16 kernels this CPU (and OS) can run.");
  module.def(
      "automatic_bf16_kernel", [] { return fastdnn::name_of(fastdnn::automatic_bf16_kernel()); },
      "The bf16 kernel bfloat16 training and inference run now.");
  module.def(
      "quantize_rows",
      [](const py::array_t<float, py::array::c_style>& x) {
        if (x.ndim() != 2) throw std::invalid_argument("x must be 2-D");
        const int rows = static_cast<int>(x.shape(0)), columns = static_cast<int>(x.shape(1));
        ByteArray codes({rows, columns});
        py::array_t<float> scale(rows);
        py::array_t<int32_t> zero_point(rows);
        fastdnn::quantize_rows(codes.mutable_data(), columns, scale.mutable_data(),
                               zero_point.mutable_data(), x.data(), rows, columns);
        return py::make_tuple(codes, scale, zero_point);
      },
      py::arg("x"),
      "Each row of float32 x as uint8 codes, x ≈ scale·(code − zero_point): "
      "(codes, scale, zero_point), as int8 inference quantizes a layer's input.");
  module.def(
      "thread_count",
      [](int n_threads) {
        const fastdnn::ThreadCountScope threads(n_threads);
        return fastdnn::available_threads();
      },
      py::arg("n_threads") = 0,
      "How many threads an engine call given n_threads runs on, called from this thread "
      "(0: OpenMP's setting, which OMP_NUM_THREADS and threadpoolctl control).");
  module.def(
      "buffer_allocation_count", [] { return fastdnn::buffer_allocation_count().load(); },
      "How many engine buffers have been allocated so far (to show that training "
      "allocates nothing per minibatch).");
  module.def(
      "philox4x32",
      [](uint64_t key, uint64_t counter_high, uint64_t counter_low) {
        const auto block = fastdnn::philox4x32(key, counter_high, counter_low);
        return py::make_tuple(block.word[0], block.word[1], block.word[2], block.word[3]);
      },
      py::arg("key"), py::arg("counter_high"), py::arg("counter_low"),
      "The four 32-bit words Philox4x32-10 gives for (key, counter).");
}
