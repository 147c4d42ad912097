// Serving from C++: one model shared by several threads, each predicting at
// once (fastdnn_predict is thread-safe), with the model owned by a
// unique_ptr that frees it.
//
//     predict_threads MODEL_FILE ROWS_FILE [THREADS]
//
// ROWS_FILE as for predict.c. Every thread predicts every row on its own
// and the whole batch, several times; the program checks that each got the
// same bits as one call on the batch, then prints the outputs as predict.c
// does.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fastdnn.h"

namespace {

struct ModelDeleter {
  void operator()(fastdnn_model* model) const { fastdnn_free(model); }
};
using Model = std::unique_ptr<fastdnn_model, ModelDeleter>;

Model load(const char* path) {
  char error[512];
  Model model(fastdnn_load(path, error, sizeof error));
  if (!model) throw std::runtime_error(error);
  return model;
}

std::vector<float> predict(const fastdnn_model* model, const float* X, size_t n_rows) {
  std::vector<float> out(n_rows * fastdnn_n_outputs(model));
  const int code = fastdnn_predict(model, X, n_rows, out.data());
  if (code != FASTDNN_OK) throw std::runtime_error(fastdnn_error_string(code));
  return out;
}

std::vector<float> read_numbers(const char* path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(std::string("cannot read ") + path);
  std::vector<float> values;
  std::string word;
  while (file >> word) {
    for (char& c : word) c = c == ',' ? ' ' : c;
    const char* at = word.c_str();
    char* end;
    for (float value = std::strtof(at, &end); end != at; value = std::strtof(at, &end)) {
      values.push_back(value);
      at = end;
    }
  }
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: " << argv[0] << " MODEL_FILE ROWS_FILE [THREADS]\n";
    return 2;
  }
  try {
    const Model model = load(argv[1]);
    const size_t n_features = fastdnn_n_features(model.get());
    const size_t n_outputs = fastdnn_n_outputs(model.get());
    const std::vector<float> X = read_numbers(argv[2]);
    if (X.empty() || X.size() % n_features != 0) {
      throw std::runtime_error(std::string(argv[2]) + " does not hold rows of " +
                               std::to_string(n_features) + " numbers");
    }
    const size_t n_rows = X.size() / n_features;
    const std::vector<float> expected = predict(model.get(), X.data(), n_rows);

    const int n_threads = argc == 4 ? std::atoi(argv[3]) : 4;
    std::vector<int> mismatches(n_threads > 0 ? n_threads : 0, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        for (int repeat = 0; repeat < 20; ++repeat) {
          for (size_t row = 0; row < n_rows; ++row) {
            const auto got = predict(model.get(), &X[row * n_features], 1);
            mismatches[t] +=
                std::memcmp(got.data(), &expected[row * n_outputs], n_outputs * sizeof(float)) != 0;
          }
          const auto got = predict(model.get(), X.data(), n_rows);
          mismatches[t] += got != expected;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < n_threads; ++t) {
      if (mismatches[t] != 0) {
        std::cerr << "thread " << t << " got other outputs " << mismatches[t] << " times\n";
        return 1;
      }
    }
    for (size_t row = 0; row < n_rows; ++row) {
      for (size_t column = 0; column < n_outputs; ++column) {
        std::printf(column ? " %.9g" : "%.9g", expected[row * n_outputs + column]);
      }
      std::printf("\n");
    }
  } catch (const std::exception& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
  return 0;
}
