#pragma once

// The model file (docs/model_format.md) read in C++, for the C API: the
// checks of python/fastdnn/_model_file.py on everything prediction uses,
// with the same messages, and the network rebuilt from the header and the
// payload. Nothing is allocated for a size the file declares before that
// size is checked against the file's own length.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/matrix_precision.h"
#include "nn/bf16_packed_network.h"
#include "nn/network.h"

namespace fastdnn {

// A model file's problem, named as Python's loader names it.
class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the C API predicts with.
struct LoadedModel {
  LoadedModel(std::string header, Network network) noexcept
      : header(std::move(header)), network(std::move(network)) {}

  std::string header;  // the file's JSON header, as it is
  Network network;
  // inference_precision='int8': the weight layers quantized once, as the
  // estimator's first int8 prediction quantizes them.
  std::unique_ptr<QuantizedNetwork> quantized;
  // inference_precision='bfloat16': the weight layers' products round their
  // operands to bfloat16 and sum in float32, as the estimator's do.
  MatrixPrecision products = MatrixPrecision::float32;
  // ... and their weights packed to bfloat16 once, at load, as the
  // estimator packs them for its first bf16 prediction.
  std::unique_ptr<Bf16PackedNetwork> bf16_weights;
  // A binary classifier's single output becomes two columns, 1 − p and p,
  // as predict_proba gives them.
  bool binary_probabilities = false;

  int n_outputs() const { return binary_probabilities ? 2 : network.n_outputs(); }
};

// The model in `size` bytes of a model file; ModelFileError naming what is
// wrong.
std::unique_ptr<LoadedModel> model_from_bytes(const unsigned char* data, size_t size);

// The model in the file at `path`.
std::unique_ptr<LoadedModel> load_model_file(const std::string& path);

}  // namespace fastdnn
