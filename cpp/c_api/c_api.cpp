// The C API (fastdnn.h): plain C types in and out, every C++ exception
// caught here, never let through to a C caller.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "c_api/fastdnn.h"
#include "c_api/model_file_reader.h"
#include "data/dataset.h"
#include "kernels/reductions.h"

struct fastdnn_model {
  std::unique_ptr<fastdnn::LoadedModel> loaded;
};

namespace {

void write_error(char* error, size_t error_size, const std::string& message) {
  if (error == nullptr || error_size == 0) return;
  const size_t length = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

}  // namespace

extern "C" {

fastdnn_model* fastdnn_load(const char* path, char* error, size_t error_size) {
  write_error(error, error_size, "");
  if (path == nullptr) {
    write_error(error, error_size, "fastdnn_load was given a NULL path.");
    return nullptr;
  }
  try {
    auto loaded = fastdnn::load_model_file(path);
    return new fastdnn_model{std::move(loaded)};
  } catch (const fastdnn::ModelFileError& problem) {
    write_error(error, error_size, problem.what());
  } catch (const std::bad_alloc&) {
    write_error(error, error_size, "Out of memory while loading the model file.");
  } catch (const std::exception& problem) {
    write_error(error, error_size,
                std::string("The model file cannot be loaded: ") + problem.what());
  } catch (...) {
    write_error(error, error_size, "The model file cannot be loaded.");
  }
  return nullptr;
}

void fastdnn_free(fastdnn_model* model) {
  delete model;
}

size_t fastdnn_n_features(const fastdnn_model* model) {
  return model == nullptr ? 0 : static_cast<size_t>(model->loaded->network.n_inputs());
}

size_t fastdnn_n_outputs(const fastdnn_model* model) {
  return model == nullptr ? 0 : static_cast<size_t>(model->loaded->n_outputs());
}

const char* fastdnn_metadata_json(const fastdnn_model* model) {
  return model == nullptr ? nullptr : model->loaded->header.c_str();
}

int fastdnn_predict(const fastdnn_model* model, const float* X, size_t n_rows, float* out) {
  if (model == nullptr || X == nullptr || out == nullptr) return FASTDNN_ERROR_NULL_ARGUMENT;
  if (n_rows == 0) return FASTDNN_ERROR_NO_ROWS;
  const fastdnn::LoadedModel& loaded = *model->loaded;
  const auto n_features = static_cast<size_t>(loaded.network.n_inputs());
  const auto widest = std::max(n_features, static_cast<size_t>(loaded.n_outputs()));
  // The engine counts rows and values in long, and X and out must each fit
  // the address space.
  if (n_rows > static_cast<size_t>(PTRDIFF_MAX) / sizeof(float) / widest) {
    return FASTDNN_ERROR_TOO_MANY_ROWS;
  }
  const long rows = static_cast<long>(n_rows);
  try {
    if (!fastdnn::all_finite(X, rows * static_cast<long>(n_features))) {
      return FASTDNN_ERROR_NON_FINITE_INPUT;
    }
    const auto data = fastdnn::Dataset::dense(X, rows, static_cast<int>(n_features));
    const fastdnn::MatrixPrecisionScope products(loaded.products);
    const fastdnn::PackedOperandsScope packed(loaded.bf16_weights ? &loaded.bf16_weights->operands
                                                                  : nullptr);
    loaded.network.predict(data, out, 0, loaded.quantized.get());
    if (loaded.binary_probabilities) {
      // p fills out's first n_rows values; spread from the last row back, so
      // every p is read before its place is written: (1 − p, p) per row.
      for (long row = rows - 1; row >= 0; --row) {
        const float p = out[row];
        out[2 * row + 1] = p;
        out[2 * row] = 1.0f - p;
      }
    }
    return FASTDNN_OK;
  } catch (const std::bad_alloc&) {
    return FASTDNN_ERROR_OUT_OF_MEMORY;
  } catch (...) {
    return FASTDNN_ERROR_INTERNAL;
  }
}

const char* fastdnn_error_string(int code) {
  switch (code) {
    case FASTDNN_OK:
      return "success";
    case FASTDNN_ERROR_NULL_ARGUMENT:
      return "a NULL model, X or out was passed to fastdnn_predict";
    case FASTDNN_ERROR_NO_ROWS:
      return "X has no rows (n_rows is 0)";
    case FASTDNN_ERROR_NON_FINITE_INPUT:
      return "X holds NaN or infinity";
    case FASTDNN_ERROR_TOO_MANY_ROWS:
      return "n_rows is too large: X or out would not fit in memory";
    case FASTDNN_ERROR_OUT_OF_MEMORY:
      return "out of memory for the prediction's workspace";
    case FASTDNN_ERROR_INTERNAL:
      return "an internal error in the fastdnn engine (please report it)";
    default:
      return "an unknown fastdnn error code";
  }
}

}  // extern "C"
