/* The latency of fastdnn_predict, call by call, for benchmarks/bench_serving.py.
 *
 *     bench_predict MODEL_FILE ROWS_FILE ROWS_PER_CALL CALLS
 *
 * ROWS_FILE holds float32 rows, row-major, n_features each, as NumPy's
 * tofile writes them. After one warm call, CALLS calls each predict the
 * file's first ROWS_PER_CALL rows, as the Python benchmark predicts X[:rows];
 * each call's wall time in seconds is printed on a line of its own. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fastdnn.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s MODEL_FILE ROWS_FILE ROWS_PER_CALL CALLS\n", argv[0]);
    return 2;
  }
  char error[512];
  fastdnn_model *model = fastdnn_load(argv[1], error, sizeof error);
  if (model == NULL) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  const size_t n_features = fastdnn_n_features(model);
  const size_t rows_per_call = (size_t)strtoul(argv[3], NULL, 10);
  const long calls = strtol(argv[4], NULL, 10);
  FILE *file = fopen(argv[2], "rb");
  if (file == NULL || rows_per_call == 0 || calls < 1) {
    fprintf(stderr, "cannot read %s, or no rows or calls asked for\n", argv[2]);
    return 1;
  }
  fseek(file, 0, SEEK_END);
  const size_t n_rows = (size_t)ftell(file) / sizeof(float) / n_features;
  rewind(file);
  float *X = malloc(n_rows * n_features * sizeof *X);
  float *out = malloc(rows_per_call * fastdnn_n_outputs(model) * sizeof *out);
  double *seconds = malloc((size_t)calls * sizeof *seconds);
  if (X == NULL || out == NULL || seconds == NULL || n_rows < rows_per_call ||
      fread(X, sizeof *X, n_rows * n_features, file) != n_rows * n_features) {
    fprintf(stderr, "%s does not hold %zu rows of %zu float32\n", argv[2], rows_per_call,
            n_features);
    return 1;
  }
  fclose(file);
  int code = fastdnn_predict(model, X, rows_per_call, out);
  for (long call = 0; call < calls && code == FASTDNN_OK; ++call) {
    const double start = now();
    code = fastdnn_predict(model, X, rows_per_call, out);
    seconds[call] = now() - start;
  }
  if (code != FASTDNN_OK) {
    fprintf(stderr, "fastdnn_predict: %s\n", fastdnn_error_string(code));
    return 1;
  }
  for (long call = 0; call < calls; ++call) printf("%.9e\n", seconds[call]);
  free(seconds);
  free(out);
  free(X);
  fastdnn_free(model);
  return 0;
}
