/* Predicting from C with a model saved by fastdnn (est.save("model.fdnn")).
 *
 *     predict MODEL_FILE ROWS_FILE
 *
 * ROWS_FILE holds the rows to predict as numbers separated by spaces,
 * commas or newlines, n_features per row. Each row's outputs (class
 * probabilities for a classifier, predictions for a regressor) are printed
 * on a line of their own, with enough digits to give back the same float32. */
#include <stdio.h>
#include <stdlib.h>

#include "fastdnn.h"

/* The numbers in a text file, as float32; NULL if it cannot be read. */
static float* read_numbers(const char* path, size_t* count) {
  FILE* file = fopen(path, "r");
  if (file == NULL) return NULL;
  size_t capacity = 1024;
  float* values = malloc(capacity * sizeof *values);
  *count = 0;
  int separator;
  while (values != NULL) {
    float value;
    if (fscanf(file, "%f", &value) != 1) break;
    if (*count == capacity) {
      capacity *= 2;
      float* grown = realloc(values, capacity * sizeof *values);
      if (grown == NULL) {
        free(values);
        values = NULL;
        break;
      }
      values = grown;
    }
    values[(*count)++] = value;
    separator = fgetc(file);
    if (separator != ',' && separator != EOF) ungetc(separator, file);
  }
  fclose(file);
  return values;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL_FILE ROWS_FILE\n", argv[0]);
    return 2;
  }
  char error[512];
  fastdnn_model* model = fastdnn_load(argv[1], error, sizeof error);
  if (model == NULL) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  const size_t n_features = fastdnn_n_features(model);
  const size_t n_outputs = fastdnn_n_outputs(model);
  size_t n_values = 0;
  float* X = read_numbers(argv[2], &n_values);
  if (X == NULL || n_values % n_features != 0) {
    fprintf(stderr, "%s does not hold rows of %zu numbers\n", argv[2], n_features);
    free(X);
    fastdnn_free(model);
    return 1;
  }
  const size_t n_rows = n_values / n_features;
  float* out = malloc((n_rows ? n_rows : 1) * n_outputs * sizeof *out);
  const int code =
      out == NULL ? FASTDNN_ERROR_OUT_OF_MEMORY : fastdnn_predict(model, X, n_rows, out);
  if (code != FASTDNN_OK) {
    fprintf(stderr, "fastdnn_predict: %s\n", fastdnn_error_string(code));
  } else {
    for (size_t row = 0; row < n_rows; ++row) {
      for (size_t column = 0; column < n_outputs; ++column) {
        printf(column ? " %.9g" : "%.9g", out[row * n_outputs + column]);
      }
      printf("\n");
    }
  }
  free(out);
  free(X);
  fastdnn_free(model);
  return code == FASTDNN_OK ? 0 : 1;
}
