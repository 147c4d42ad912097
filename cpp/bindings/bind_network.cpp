// Dataset, Network and Trainer: conversions and GIL release only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/engine_array.h"
#include "bindings/engine_options.h"
#include "bindings/interruptible_call.h"
#include "data/dataset.h"
#include "kernels/bf16_gemm.h"
#include "kernels/matrix_precision.h"
#include "kernels/reductions.h"
#include "nn/bf16_packed_network.h"
#include "nn/dropout.h"
#include "nn/loss.h"
#include "nn/network.h"
#include "nn/output_activation.h"
#include "train/trainer.h"

namespace py = pybind11;
using FloatArray = EngineArray<float>;
using DoubleArray = EngineArray<double>;
using IndexArray = EngineArray<int64_t>;

namespace {

// A Dataset with the arrays it views kept alive for as long as it lives.
struct DatasetHandle {
  fastdnn::Dataset dataset;
  std::vector<py::object> arrays;
};

// The distance in elements between X's rows when the engine can read X where
// it lies: float32 or float64, native byte order, aligned, each row's
// elements adjacent and rows apart by a whole number of elements, not
// overlapping. 0 when X must be converted first.
template <class Float>
long readable_row_stride(const py::array& X) {
  constexpr int aligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (!X.dtype().equal(py::dtype::of<Float>()) || (X.flags() & aligned) == 0) return 0;
  const auto element = static_cast<py::ssize_t>(sizeof(Float));
  if (X.shape(0) <= 1) return X.shape(1) > 1 && X.strides(1) != element ? 0 : X.shape(1);
  if (X.shape(1) > 1 && X.strides(1) != element) return 0;
  if (X.strides(0) % element != 0 || X.strides(0) < X.shape(1) * element) return 0;
  return static_cast<long>(X.strides(0) / element);
}

// X viewed where it lies (a memory-mapped file is never read whole: each
// minibatch's rows are gathered from it, float64 rounded as they are), or
// for any other dtype or layout, a float32 C-contiguous copy.
DatasetHandle dense_dataset(const py::array& X) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  const auto n_samples = static_cast<long>(X.shape(0));
  const auto n_features = static_cast<int>(X.shape(1));
  if (const long stride = readable_row_stride<float>(X); stride > 0) {
    return {
        fastdnn::Dataset::dense(static_cast<const float*>(X.data()), n_samples, n_features, stride),
        {X}};
  }
  if (const long stride = readable_row_stride<double>(X); stride > 0) {
    return {fastdnn::Dataset::dense(static_cast<const double*>(X.data()), n_samples, n_features,
                                    stride),
            {X}};
  }
  const FloatArray values(X);
  return {fastdnn::Dataset::dense(values.data(), n_samples, n_features), {values}};
}

// The products' precision named by `precision`, and that bf16_weights (from
// pack_bf16) may serve them: packed from this network, for bf16 products.
fastdnn::MatrixPrecision products_for(const fastdnn::Network& network, const std::string& precision,
                                      const fastdnn::Bf16PackedNetwork* bf16_weights) {
  const auto products = fastdnn::from_name<fastdnn::MatrixPrecision>(precision);
  if (bf16_weights != nullptr) {
    if (products != fastdnn::MatrixPrecision::bfloat16) {
      throw std::invalid_argument("bf16_weights serve precision 'bfloat16' only");
    }
    fastdnn::check_packed_for(*bf16_weights, network);
  }
  return products;
}

const std::vector<fastdnn::Bf16PackedOperand>* operands_of(
    const fastdnn::Bf16PackedNetwork* bf16_weights) {
  return bf16_weights != nullptr ? &bf16_weights->operands : nullptr;
}

// A float64 model's output: the network's float32 pre-activation, then the
// output activation in double, as scikit-learn computes a float64 fit's.
void predict_in_double(const fastdnn::Network& network, const fastdnn::Dataset& data, double* out,
                       int n_threads, const fastdnn::QuantizedNetwork* quantized) {
  std::vector<float> logits(static_cast<size_t>(data.n_samples() * network.n_outputs()));
  network.predict_pre_activation(data, logits.data(), n_threads, quantized);
  fastdnn::output_activation_in_double(out, logits.data(), data.n_samples(), network.n_outputs(),
                                       network.output_activation());
}

// Network::predict for rows X that need no conversion by numpy: float32 or
// float64 (converted here a chunk of rows at a time), C-contiguous, aligned,
// native byte order. The output has X's dtype.
template <class Float>
py::object predict_rows(const fastdnn::Network& network, const py::array& X, int n_threads,
                        const fastdnn::QuantizedNetwork* quantized,
                        fastdnn::MatrixPrecision precision,
                        const fastdnn::Bf16PackedNetwork* bf16_weights) {
  const auto* values = static_cast<const Float*>(X.data());
  const auto data =
      fastdnn::Dataset::dense(values, static_cast<long>(X.shape(0)), static_cast<int>(X.shape(1)));
  const long n_outputs = network.n_outputs();
  py::array_t<Float> out(
      {static_cast<py::ssize_t>(data.n_samples()), static_cast<py::ssize_t>(n_outputs)});
  Float* out_data = out.mutable_data();
  const double work = static_cast<double>(data.n_samples()) * network.n_parameters();
  const bool finite = engine_call(work, [&] {
    const fastdnn::MatrixPrecisionScope products(precision);
    const fastdnn::PackedOperandsScope packed(operands_of(bf16_weights));
    // The engine computes in float32, where float64 beyond its range would
    // be infinity: validation names such values instead.
    const long n_values = data.n_samples() * data.n_features();
    if constexpr (std::is_same_v<Float, float>) {
      if (!fastdnn::all_finite(values, n_values)) return false;
      network.predict(data, out_data, n_threads, quantized);
    } else {
      if (!fastdnn::within_float32_range(values, n_values)) return false;
      predict_in_double(network, data, out_data, n_threads, quantized);
    }
    return true;
  });
  if (!finite) return py::none();
  return std::move(out);
}

// Serving's fast path: the prediction for X when it is a non-empty 2-D array
// of the network's width that predict_rows takes as it is, and finite; None
// for anything else (float64 beyond float32's range included), which the
// caller then validates, naming the problem.
// Checking here costs a fraction of what the same checks cost in Python.
py::object predict_serving(const fastdnn::Network& network, py::handle X, int n_threads,
                           const fastdnn::QuantizedNetwork* quantized, const std::string& precision,
                           const fastdnn::Bf16PackedNetwork* bf16_weights) {
  if (!py::array::check_(X)) return py::none();
  const auto array = py::reinterpret_borrow<py::array>(X);
  constexpr int layout = py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (array.ndim() != 2 || (array.flags() & layout) != layout || array.shape(0) == 0 ||
      array.shape(1) != network.n_inputs()) {
    return py::none();
  }
  const py::dtype dtype = array.dtype();
  const auto products = products_for(network, precision, bf16_weights);
  if (dtype.equal(py::dtype::of<float>())) {
    return predict_rows<float>(network, array, n_threads, quantized, products, bf16_weights);
  }
  if (dtype.equal(py::dtype::of<double>())) {
    return predict_rows<double>(network, array, n_threads, quantized, products, bf16_weights);
  }
  return py::none();
}

DatasetHandle csr_dataset(FloatArray data, IndexArray indices, IndexArray indptr, long n_features) {
  const long n_samples = static_cast<long>(indptr.size()) - 1;
  if (n_samples < 0) throw std::invalid_argument("CSR indptr must not be empty");
  if (data.size() != indices.size())
    throw std::invalid_argument("CSR data and indices differ in length");
  if (indptr.data()[n_samples] > static_cast<int64_t>(data.size())) {
    throw std::invalid_argument("CSR indptr points past the data");
  }
  return {fastdnn::Dataset::csr(data.data(), indices.data(), indptr.data(), n_samples,
                                static_cast<int>(n_features)),
          {data, indices, indptr}};
}

const float* matrix_for(const FloatArray& matrix, long rows, int columns, const char* name) {
  if (matrix.ndim() != 2 || matrix.shape(0) != rows || matrix.shape(1) != columns) {
    throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(rows) +
                                ", " + std::to_string(columns) + ")");
  }
  return matrix.data();
}

const float* optional_weights(const std::optional<FloatArray>& weights, long rows) {
  if (!weights) return nullptr;
  if (weights->ndim() != 1 || weights->shape(0) != rows) {
    throw std::invalid_argument("sample_weight must have shape (" + std::to_string(rows) + ",)");
  }
  return weights->data();
}

// A numpy array viewing memory owned by `owner`, which it keeps alive.
py::array_t<float> view(std::vector<py::ssize_t> shape, float* data, const py::object& owner) {
  return py::array_t<float>(shape, data, owner);
}

fastdnn::Network& network_of(const py::object& network) {
  return network.cast<fastdnn::Network&>();
}

}  // namespace

void bind_network(py::module_& module) {
  py::class_<fastdnn::QuantizedNetwork>(
      module, "QuantizedNetwork",
      "A network's weight layers as int8 with their scales (Network.quantize()).")
      .def_property_readonly("n_layers", [](const fastdnn::QuantizedNetwork& quantized) {
        return quantized.layers.size();
      });
  py::class_<fastdnn::Bf16PackedNetwork>(
      module, "Bf16PackedNetwork",
      "A network's weight matrices rounded to bfloat16 and packed (Network.pack_bf16()).")
      .def_property_readonly("n_operands", [](const fastdnn::Bf16PackedNetwork& packed) {
        return packed.operands.size();
      });
  py::class_<DatasetHandle>(module, "Dataset",
                            "Training or prediction inputs, viewed without copying.")
      .def(py::init(&dense_dataset), py::arg("X"),
           "From a dense (n_samples, n_features) array, read where it lies when it is float32 "
           "or float64 with contiguous rows, else from a float32 copy.")
      .def_static("from_csr", &csr_dataset, py::arg("data"), py::arg("indices"), py::arg("indptr"),
                  py::arg("n_features"),
                  "From CSR arrays; rows are densified one minibatch at a time.")
      .def_property_readonly("n_samples",
                             [](const DatasetHandle& h) { return h.dataset.n_samples(); })
      .def_property_readonly("n_features",
                             [](const DatasetHandle& h) { return h.dataset.n_features(); });

  py::class_<fastdnn::Network>(module, "Network",
                               "A fully connected network whose parameters live in one arena.")
      .def(py::init([](std::vector<int> layer_units, py::object hidden_activation,
                       const std::string& output_activation, float leaky_relu_slope,
                       const py::kwargs& layer_options) {
             // One name for every hidden layer, or a list with one per layer.
             std::vector<fastdnn::Activation> hidden_activations;
             if (py::isinstance<py::str>(hidden_activation)) {
               hidden_activations.assign(
                   layer_units.size() < 2 ? 0 : layer_units.size() - 2,
                   fastdnn::from_name<fastdnn::Activation>(hidden_activation.cast<std::string>()));
             } else {
               for (const auto& name : hidden_activation.cast<std::vector<std::string>>()) {
                 hidden_activations.push_back(fastdnn::from_name<fastdnn::Activation>(name));
               }
             }
             return fastdnn::Network(std::move(layer_units), std::move(hidden_activations),
                                     fastdnn::from_name<fastdnn::Activation>(output_activation),
                                     leaky_relu_slope,
                                     options_from_mapping<fastdnn::LayerOptions>(layer_options));
           }),
           py::arg("layer_units"), py::arg("hidden_activation"), py::arg("output_activation"),
           py::arg("leaky_relu_slope") = 0.01f,
           "A network; the keywords are LayerOptions fields (default_layer_options()).")
      .def_property_readonly(
          "layer_options",
          [](const fastdnn::Network& network) { return options_to_mapping(network.options()); },
          "The LayerOptions fields this network was built with, as keywords that rebuild it.")
      .def(
          "set_layer_options",
          [](fastdnn::Network& network, const py::kwargs& fields) {
            fastdnn::LayerOptions options = network.options();
            update_options_from_mapping(options, fields);
            network.set_options(std::move(options));
          },
          "Change the keyword LayerOptions fields (not normalization, its position or "
          "residual) of a built network: a trainer takes them from its next epoch.")
      .def(
          "predict_layers",
          [](const fastdnn::Network& network, const DatasetHandle& data, int first, int last,
             int n_threads) {
            if (first < 0 || last < first || last >= network.n_layers()) {
              throw std::invalid_argument("no weight layers " + std::to_string(first) + ".." +
                                          std::to_string(last));
            }
            py::array_t<float> out({static_cast<py::ssize_t>(data.dataset.n_samples()),
                                    static_cast<py::ssize_t>(network.layer_units()[last + 1])});
            float* out_data = out.mutable_data();
            const double work =
                static_cast<double>(data.dataset.n_samples()) * network.n_parameters();
            engine_call(work, [&] {
              network.predict_layers(data.dataset, out_data, first, last, n_threads);
            });
            return out;
          },
          py::arg("data"), py::arg("first"), py::arg("last"), py::arg("n_threads") = 0,
          "The outputs (n_samples, units) of weight layer last, float32, for rows that are "
          "weight layer first's inputs, in prediction mode: a hidden layer's activations.")
      .def(
          "layout",
          [](const fastdnn::Network& n, int layer) {
            if (layer < 0 || layer >= n.n_layers()) throw std::out_of_range("no such layer");
            const auto& at = n.layout(layer);
            py::dict d;
            d["weight"] = at.weight;
            d["bias"] = at.bias;
            d["norm_gain"] = at.norm_gain;
            d["norm_shift"] = at.norm_shift;
            d["weight_norm_gain"] = at.weight_norm_gain;
            d["projection"] = at.projection;
            d["end"] = at.end;
            const auto [running_begin, running_end] = n.running_statistics_range(layer);
            d["running_statistics"] = running_begin;
            d["running_statistics_end"] = running_end;
            return d;
          },
          py::arg("layer"),
          "Offsets of the layer's parameter blocks in the arena (-1: absent); its range is "
          "[weight, end). Its running statistics are [running_statistics, "
          "running_statistics_end) of running_statistics (-1: none).")
      .def_property_readonly(
          "running_statistics",
          [](py::object self) {
            auto& network = network_of(self);
            return view({network.n_running_statistics()}, network.running_statistics(), self);
          },
          "Batch norm's running means and variances, a live float32 view (empty without).")
      .def_property_readonly("layer_units", &fastdnn::Network::layer_units)
      .def_property_readonly("hidden_activations",
                             [](const fastdnn::Network& n) {
                               std::vector<std::string> names;
                               for (auto activation : n.hidden_activations()) {
                                 names.push_back(fastdnn::name_of(activation));
                               }
                               return names;
                             })
      .def_property_readonly("leaky_relu_slope", &fastdnn::Network::leaky_relu_slope)
      .def_property_readonly(
          "output_activation",
          [](const fastdnn::Network& n) { return fastdnn::name_of(n.output_activation()); })
      .def_property_readonly("n_parameters", &fastdnn::Network::n_parameters)
      .def_property_readonly(
          "parameters",
          [](py::object self) {
            auto& network = network_of(self);
            return view({network.n_parameters()}, network.parameters(), self);
          },
          "The whole arena, a live float32 view.")
      .def(
          "coef",
          [](py::object self, int layer) {
            auto& network = network_of(self);
            if (layer < 0 || layer >= network.n_layers()) throw std::out_of_range("no such layer");
            return view({network.layer_units()[layer], network.layer_units()[layer + 1]},
                        network.weight(layer), self);
          },
          py::arg("layer"), "Layer's weights (n_in, n_out), a live view of the arena.")
      .def(
          "intercept",
          [](py::object self, int layer) {
            auto& network = network_of(self);
            if (layer < 0 || layer >= network.n_layers()) throw std::out_of_range("no such layer");
            return view({network.layer_units()[layer + 1]}, network.bias(layer), self);
          },
          py::arg("layer"), "Layer's biases (n_out,), a live view of the arena.")
      .def(
          "layer_range",
          [](const fastdnn::Network& network, int layer) {
            if (layer < 0 || layer >= network.n_layers()) throw std::out_of_range("no such layer");
            const long end = layer + 1 < network.n_layers() ? network.weight_offset(layer + 1)
                                                            : network.n_parameters();
            return py::make_tuple(network.weight_offset(layer), end);
          },
          py::arg("layer"),
          "[begin, end) of everything the layer owns in the arena (weights, bias and after).")
      .def(
          "weight_changes",
          [](const fastdnn::Network& network, FloatArray before) {
            if (before.ndim() != 1 || before.shape(0) != network.n_parameters()) {
              throw std::invalid_argument("before must have shape (" +
                                          std::to_string(network.n_parameters()) + ",)");
            }
            std::vector<fastdnn::WeightChange> changes;
            {
              py::gil_scoped_release release;
              changes = fastdnn::weight_changes(network, before.data());
            }
            py::list result;
            for (const auto& change : changes) {
              result.append(py::make_tuple(change.norm, change.previous_norm, change.change_norm));
            }
            return result;
          },
          py::arg("before"),
          "Per layer, (‖W‖, ‖W_before‖, ‖W − W_before‖) of its weights, before an "
          "earlier copy of the parameters.")
      .def(
          "initialize",
          [](fastdnn::Network& network, uint64_t seed, double glorot_factor,
             const std::string& weight_init, int n_threads) {
            const auto init = fastdnn::from_name<fastdnn::WeightInit>(weight_init);
            py::gil_scoped_release release;
            network.initialize(seed, glorot_factor, init, n_threads);
          },
          py::arg("seed"), py::arg("glorot_factor") = 6.0, py::arg("weight_init") = "auto",
          py::arg("n_threads") = 0,
          "Initial weights and biases by weight_init ('auto': scikit-learn's Glorot-uniform, "
          "bound sqrt(glorot_factor / (fan_in + fan_out)), biases drawn too; the other "
          "schemes ignore glorot_factor and zero the biases).")
      .def(
          "predict",
          [](const fastdnn::Network& network, const DatasetHandle& data, int n_threads,
             std::optional<uint64_t> dropout_seed, uint64_t dropout_sample,
             const fastdnn::QuantizedNetwork* quantized, bool float64, const std::string& precision,
             const fastdnn::Bf16PackedNetwork* bf16_weights) -> py::array {
            const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(data.dataset.n_samples()),
                                                 static_cast<py::ssize_t>(network.n_outputs())};
            if (dropout_seed && (quantized != nullptr || float64)) {
              throw std::invalid_argument("MC dropout passes run in float32");
            }
            const double work =
                static_cast<double>(data.dataset.n_samples()) * network.n_parameters();
            const auto products = products_for(network, precision, bf16_weights);
            if (float64) {
              py::array_t<double> out(shape);
              double* out_data = out.mutable_data();
              engine_call(work, [&] {
                const fastdnn::MatrixPrecisionScope scope(products);
                const fastdnn::PackedOperandsScope packed(operands_of(bf16_weights));
                predict_in_double(network, data.dataset, out_data, n_threads, quantized);
              });
              return std::move(out);
            }
            py::array_t<float> out(shape);
            float* out_data = out.mutable_data();
            engine_call(work, [&] {
              const fastdnn::MatrixPrecisionScope scope(products);
              const fastdnn::PackedOperandsScope packed(operands_of(bf16_weights));
              if (dropout_seed) {
                fastdnn::NoiseKey key;
                key.seed = *dropout_seed;
                key.step = dropout_sample;
                network.predict_with_dropout(data.dataset, out_data, key, n_threads);
              } else {
                network.predict(data.dataset, out_data, n_threads, quantized);
              }
            });
            return std::move(out);
          },
          py::arg("data"), py::arg("n_threads") = 0, py::arg("dropout_seed") = py::none(),
          py::arg("dropout_sample") = 0, py::arg("quantized") = nullptr, py::arg("float64") = false,
          py::arg("precision") = "float32", py::arg("bf16_weights") = nullptr,
          "The network's output (n_samples, n_outputs), float32, or float64 with the output "
          "activation taken in double when float64; with dropout_seed, one MC dropout pass "
          "whose masks (dropout_seed, dropout_sample) draw; with quantized (from quantize()), "
          "through int8 weight layers; with precision 'bfloat16', through bf16 products, "
          "which read bf16_weights (from pack_bf16()) instead of packing the weights.")
      .def("predict_serving", &predict_serving, py::arg("X"), py::arg("n_threads") = 0,
           py::arg("quantized") = nullptr, py::arg("precision") = "float32",
           py::arg("bf16_weights") = nullptr,
           "predict for a C-contiguous float32 or float64 ndarray of the network's width, "
           "in X's dtype; None for any other X or one holding NaN or infinity (the "
           "caller's validation then names the problem): serving's fast path.")
      .def(
          "quantize",
          [](const fastdnn::Network& network) {
            py::gil_scoped_release release;
            return network.quantize();
          },
          "The weight layers as int8 (QuantizedNetwork): a snapshot of the arena now, for "
          "predict's quantized argument.")
      .def(
          "pack_bf16",
          [](const fastdnn::Network& network) {
            py::gil_scoped_release release;
            return fastdnn::pack_bf16(network);
          },
          "The weight matrices packed to bfloat16 (Bf16PackedNetwork): a snapshot of the arena "
          "now, for predict's bf16_weights argument.")
      .def(
          "loss_and_gradient",
          [](const fastdnn::Network& network, const DatasetHandle& data, FloatArray targets,
             std::optional<FloatArray> sample_weight, const std::string& loss, double alpha,
             int n_threads, uint64_t seed, uint64_t step, double l1, float label_smoothing,
             std::optional<FloatArray> teacher_logits, float distillation_weight,
             float distillation_temperature) {
            const long rows = data.dataset.n_samples();
            const float* target_data = matrix_for(targets, rows, network.n_outputs(), "targets");
            const float* weights = optional_weights(sample_weight, rows);
            fastdnn::NoiseKey noise;
            noise.seed = seed;
            noise.step = step;
            fastdnn::LossTerms terms;
            terms.label_smoothing = label_smoothing;
            terms.distillation_weight = distillation_weight;
            terms.distillation_temperature = distillation_temperature;
            if (teacher_logits) {
              terms.teacher_logits =
                  matrix_for(*teacher_logits, rows, network.n_outputs(), "teacher_logits");
            }
            py::array_t<float> gradient(network.n_parameters());
            float* gradient_data = gradient.mutable_data();
            const fastdnn::Loss loss_kind = fastdnn::from_name<fastdnn::Loss>(loss);
            const double value = interruptible_call([&] {
              return fastdnn::full_batch_loss_and_gradient(network, loss_kind, {alpha, l1},
                                                           data.dataset, target_data, weights,
                                                           gradient_data, n_threads, noise, terms);
            });
            return py::make_tuple(value, gradient);
          },
          py::arg("data"), py::arg("targets"), py::arg("sample_weight"), py::arg("loss"),
          py::arg("alpha"), py::arg("n_threads") = 0, py::arg("seed") = 0, py::arg("step") = 0,
          py::arg("l1") = 0.0, py::arg("label_smoothing") = 0.0f,
          py::arg("teacher_logits") = py::none(), py::arg("distillation_weight") = 0.5f,
          py::arg("distillation_temperature") = 1.0f,
          "(loss, gradient) over all rows, penalties included; gradient in the arena's layout. "
          "With teacher_logits (n_samples, n_outputs), the distillation blend of the "
          "cross-entropy.")
      .def(
          "training_activations",
          [](const fastdnn::Network& network, const DatasetHandle& data, uint64_t seed,
             uint64_t step) {
            const long rows = data.dataset.n_samples();
            if (rows == 0 || rows > std::numeric_limits<int>::max()) {
              throw std::invalid_argument("training_activations needs one batch of rows");
            }
            // The loss that pairs with the output: the forward pass does not read it.
            fastdnn::Loss loss = fastdnn::Loss::squared_error;
            for (const auto& entry : fastdnn::EnumNames<fastdnn::Loss>::table) {
              if (fastdnn::output_activation_for(entry.value) == network.output_activation()) {
                loss = entry.value;
              }
            }
            std::vector<std::vector<float>> outputs;
            {
              py::gil_scoped_release release;
              const int batch = static_cast<int>(rows);
              fastdnn::Backpropagation backpropagation(network, loss);
              backpropagation.reserve(batch);
              std::vector<float> gradient(network.n_parameters()),
                  scratch(rows * network.n_inputs());
              std::vector<float> targets(rows * network.n_outputs(), 0.0f);
              fastdnn::NoiseKey noise;
              noise.seed = seed;
              noise.step = step;
              backpropagation.accumulate_gradient(
                  network, gradient.data(), data.dataset.contiguous_rows(0, batch, scratch.data()),
                  targets.data(), nullptr, batch, static_cast<double>(rows), noise);
              for (int layer = 0; layer + 1 < network.n_layers(); ++layer) {
                const float* values = backpropagation.activations(layer);
                outputs.emplace_back(values, values + rows * network.layer_units()[layer + 1]);
              }
            }
            py::list result;
            for (size_t layer = 0; layer < outputs.size(); ++layer) {
              py::array_t<float> array(
                  {static_cast<py::ssize_t>(rows),
                   static_cast<py::ssize_t>(network.layer_units()[layer + 1])});
              std::copy(outputs[layer].begin(), outputs[layer].end(), array.mutable_data());
              result.append(array);
            }
            return result;
          },
          py::arg("data"), py::arg("seed") = 0, py::arg("step") = 0,
          "Every hidden layer's outputs (rows, units) in training mode, the rows as one "
          "minibatch: batch statistics, dropout and noise drawn by (seed, step).")
      .def(
          "predict_logits",
          [](const fastdnn::Network& network, const DatasetHandle& data, int n_threads) {
            py::array_t<float> out({static_cast<py::ssize_t>(data.dataset.n_samples()),
                                    static_cast<py::ssize_t>(network.n_outputs())});
            float* out_data = out.mutable_data();
            engine_call(static_cast<double>(data.dataset.n_samples()) * network.n_parameters(),
                        [&] { network.predict_pre_activation(data.dataset, out_data, n_threads); });
            return out;
          },
          py::arg("data"), py::arg("n_threads") = 0,
          "The output layer's pre-activation (n_samples, n_outputs), float32: a teacher's "
          "logits.");

  module.def(
      "dropout_scales",
      [](long rows, int cols, float rate, const std::string& kind, uint64_t seed, uint64_t step,
         uint32_t index, long first_row) {
        py::array_t<float> x({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
        py::array_t<float> scale({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
        std::fill(x.mutable_data(), x.mutable_data() + rows * cols, 0.0f);
        fastdnn::NoiseKey key;
        key.seed = seed;
        key.step = step;
        key.first_row = first_row;
        fastdnn::dropout_forward(x.mutable_data(), scale.mutable_data(), rows, cols, rate,
                                 fastdnn::from_name<fastdnn::DropoutKind>(kind), key, index);
        return py::make_tuple(scale, x);
      },
      py::arg("rows"), py::arg("cols"), py::arg("rate"), py::arg("kind"), py::arg("seed"),
      py::arg("step"), py::arg("index"), py::arg("first_row") = 0,
      "(scale, shift): dropout's y = scale·x + shift (index 0: inputs, l+1: hidden layer l).");

  module.def(
      "gaussian_noise",
      [](long rows, int cols, float std, uint64_t seed, uint64_t step) {
        py::array_t<float> x({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
        std::fill(x.mutable_data(), x.mutable_data() + rows * cols, 0.0f);
        fastdnn::NoiseKey key;
        key.seed = seed;
        key.step = step;
        fastdnn::gaussian_noise_forward(x.mutable_data(), rows, cols, std, key);
        return x;
      },
      py::arg("rows"), py::arg("cols"), py::arg("std"), py::arg("seed"), py::arg("step"),
      "The input noise a training step (seed, step) adds to a (rows, cols) batch.");

  module.def(
      "full_batch_loss",
      [](const fastdnn::Network& network, const DatasetHandle& data, FloatArray targets,
         std::optional<FloatArray> sample_weight, const std::string& loss, double alpha,
         int n_threads, double l1) {
        const long rows = data.dataset.n_samples();
        const float* target_data = matrix_for(targets, rows, network.n_outputs(), "targets");
        const float* weights = optional_weights(sample_weight, rows);
        const fastdnn::Loss loss_kind = fastdnn::from_name<fastdnn::Loss>(loss);
        py::gil_scoped_release release;
        return fastdnn::full_batch_loss(network, loss_kind, {alpha, l1}, data.dataset, target_data,
                                        weights, n_threads);
      },
      py::arg("network"), py::arg("data"), py::arg("targets"), py::arg("sample_weight"),
      py::arg("loss"), py::arg("alpha"), py::arg("n_threads") = 0, py::arg("l1") = 0.0,
      "The loss over all rows as loss_ reports it, penalties included; no gradient.");

  module.def(
      "enum_names",
      [] {
        py::dict names;
        std::vector<std::string> hidden;
        for (const auto& entry : fastdnn::EnumNames<fastdnn::Activation>::table) {
          if (fastdnn::is_hidden_activation(entry.value)) hidden.emplace_back(entry.name);
        }
        names["hidden_activation"] = hidden;
        names["activation"] = fastdnn::enum_names<fastdnn::Activation>();
        names["loss"] = fastdnn::enum_names<fastdnn::Loss>();
        names["solver"] = fastdnn::enum_names<fastdnn::Solver>();
        names["averaging"] = fastdnn::enum_names<fastdnn::Averaging>();
        names["normalization"] = fastdnn::enum_names<fastdnn::Normalization>();
        names["layer_schedule"] = fastdnn::enum_names<fastdnn::LayerSchedule>();
        names["dropout_kind"] = fastdnn::enum_names<fastdnn::DropoutKind>();
        names["weight_init"] = fastdnn::enum_names<fastdnn::WeightInit>();
        names["precision"] = fastdnn::enum_names<fastdnn::MatrixPrecision>();
        return names;
      },
      "Every name each engine enum takes, in the engine's order: the one list of them.");
  module.def("bf16_is_accelerated", &fastdnn::bf16_is_accelerated,
             "Whether bfloat16 products run on bf16 instructions (AMX or AVX512-BF16) on "
             "the active path; without them they are slower than float32's.");
  module.def(
      "default_trainer_options", [] { return options_to_mapping(fastdnn::TrainerOptions{}); },
      "Every TrainerOptions field with its default.");
  module.def(
      "default_layer_options", [] { return options_to_mapping(fastdnn::LayerOptions{}); },
      "Every LayerOptions field with its default.");

  module.def("histogram_bin_edges", &fastdnn::histogram_bin_edges,
             "The ascending edges of the diagnostics histograms' bins, ±inf at the ends.");

  py::class_<fastdnn::Trainer>(module, "Trainer", "Minibatch training of a Network.")
      .def(py::init([](fastdnn::Network& network, const py::kwargs& options) {
             return std::make_unique<fastdnn::Trainer>(
                 network, options_from_mapping<fastdnn::TrainerOptions>(options));
           }),
           py::keep_alive<1, 2>(), py::arg("network"),
           "A trainer of network; the keywords are TrainerOptions fields "
           "(default_trainer_options()).")
      .def_property_readonly(
          "options",
          [](const fastdnn::Trainer& trainer) { return options_to_mapping(trainer.options()); },
          "The TrainerOptions fields this trainer runs with (learning_rate as it is now).")
      .def(
          "set_options",
          [](fastdnn::Trainer& trainer, const py::kwargs& fields) {
            fastdnn::TrainerOptions options = trainer.options();
            update_options_from_mapping(options, fields);
            trainer.set_options(std::move(options));
          },
          "Change the keyword TrainerOptions fields that steps read as they run (not the "
          "loss, the solver's constants, averaging or trainable_layers).")
      .def_property("learning_rate", &fastdnn::Trainer::learning_rate,
                    &fastdnn::Trainer::set_learning_rate)
      .def_property("label_smoothing", &fastdnn::Trainer::label_smoothing,
                    &fastdnn::Trainer::set_label_smoothing,
                    "The cross-entropy's label smoothing, changeable between epochs.")
      .def_property_readonly("batches_done", &fastdnn::Trainer::batches_done,
                             "Minibatches finished in the epoch running now (safe to poll "
                             "from another thread during train_epoch).")
      .def_property_readonly("batches_in_epoch", &fastdnn::Trainer::batches_in_epoch)
      .def_property("step", &fastdnn::Trainer::step, &fastdnn::Trainer::set_step,
                    "Optimizer steps taken (Adam's t).")
      .def_property_readonly(
          "optimizer_state",
          [](py::object self) {
            auto& trainer = self.cast<fastdnn::Trainer&>();
            py::list states;
            for (auto& state : trainer.optimizer_state()) {
              states.append(view({static_cast<py::ssize_t>(state.size())}, state.data(), self));
            }
            return states;
          },
          "Live views of the optimizer's arenas: [velocity] for sgd, [m, v] for adam and nadam, "
          "[mean square(, momentum buffer)] for rmsprop, [sum of squares] for adagrad.")
      .def_property("averaging_active", &fastdnn::Trainer::averaging_active,
                    &fastdnn::Trainer::set_averaging_active,
                    "Whether each step folds its iterate into the averaged weights.")
      .def_property("averaged_count", &fastdnn::Trainer::averaged_count,
                    &fastdnn::Trainer::set_averaged_count, "Iterates averaged so far.")
      .def_property_readonly(
          "averaged_parameters",
          [](py::object self) {
            auto& averaged = self.cast<fastdnn::Trainer&>().averaged_parameters();
            return view({static_cast<py::ssize_t>(averaged.size())}, averaged.data(), self);
          },
          "The averaged weights, a live view of an arena of the parameters' layout "
          "(empty without averaging).")
      .def(
          "statistics",
          [](const fastdnn::Trainer& trainer) {
            const auto& statistics = trainer.statistics();
            py::list layers;
            for (const auto& layer : statistics.layers()) {
              py::dict entry;
              entry["activation_sum"] = layer.activation_sum;
              entry["activation_square_sum"] = layer.activation_square_sum;
              entry["activation_count"] = layer.activation_count;
              entry["saturated_count"] = layer.saturated_count;
              entry["gradient_norm_sum"] = layer.gradient_norm_sum;
              entry["unit_active"] = py::array_t<uint8_t>(
                  static_cast<py::ssize_t>(layer.unit_active.size()), layer.unit_active.data());
              if (statistics.histograms()) {
                entry["activation_histogram"] = py::array_t<int64_t>(
                    fastdnn::kHistogramBins, layer.activation_histogram.data());
                entry["gradient_histogram"] =
                    py::array_t<int64_t>(fastdnn::kHistogramBins, layer.gradient_histogram.data());
              }
              layers.append(entry);
            }
            py::dict result;
            result["steps"] = statistics.steps();
            result["gradient_norm_sum"] = statistics.gradient_norm_sum();
            result["layers"] = layers;
            return result;
          },
          "The last epoch's raw diagnostic sums (when collect_statistics).")
      .def(
          "train_epoch",
          [](fastdnn::Trainer& trainer, const DatasetHandle& data, FloatArray targets,
             std::optional<FloatArray> sample_weight, int batch_size, bool shuffle, uint64_t seed,
             uint64_t epoch, std::optional<DoubleArray> learning_rates,
             std::optional<FloatArray> teacher_logits) {
            const long rows = data.dataset.n_samples();
            const float* target_data =
                matrix_for(targets, rows, trainer.network().n_outputs(), "targets");
            const float* weights = optional_weights(sample_weight, rows);
            const double* rates = nullptr;
            if (learning_rates) {
              const long n_batches = batch_size > 0 ? (rows + batch_size - 1) / batch_size : 0;
              if (learning_rates->ndim() != 1 || learning_rates->shape(0) != n_batches) {
                throw std::invalid_argument("learning_rates must hold one rate per minibatch (" +
                                            std::to_string(n_batches) + ")");
              }
              rates = learning_rates->data();
            }
            const float* teacher = teacher_logits
                                       ? matrix_for(*teacher_logits, rows,
                                                    trainer.network().n_outputs(), "teacher_logits")
                                       : nullptr;
            return interruptible_call([&] {
              return trainer.train_epoch(data.dataset, target_data, weights, batch_size, shuffle,
                                         seed, epoch, rates, teacher);
            });
          },
          py::arg("data"), py::arg("targets"), py::arg("sample_weight"), py::arg("batch_size"),
          py::arg("shuffle"), py::arg("seed"), py::arg("epoch"),
          py::arg("learning_rates") = py::none(), py::arg("teacher_logits") = py::none(),
          "One epoch of minibatches; returns scikit-learn's loss_ for it. Ctrl-C on the main "
          "thread stops it between minibatches (batches_done of them finished) and raises.");
}
