/* fastdnn_predict timed from C, for benchmarks/bench_serving.py.
 *
 *     bench_predict MODEL_FILE ROWS_FILE ROWS_PER_CALL latency CALLS
 *     bench_predict MODEL_FILE ROWS_FILE ROWS_PER_CALL throughput SECONDS THREADS
 *
 * ROWS_FILE holds float32 rows, row-major, n_features each, as NumPy's
 * tofile writes them; a call predicts ROWS_PER_CALL of them.
 *
 * latency: after one warm call, CALLS calls on the file's first rows (as the
 * Python benchmark predicts X[:rows]); each call's wall time in seconds on a
 * line of its own.
 *
 * throughput: THREADS threads share the model, each calling on its own
 * rows (the file's rows shifted by ROWS_PER_CALL per thread, as the Python
 * benchmark gives each client its own batch) for SECONDS; prints the calls
 * made, the seconds they took, and the cores busy meanwhile, this process's
 * and the other processes' (Linux's /proc/stat; -1 where unreadable). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fastdnn.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds this process has used. */
static double process_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + 1e-6 * (double)usage.ru_utime.tv_usec +
         (double)usage.ru_stime.tv_sec + 1e-6 * (double)usage.ru_stime.tv_usec;
}

/* CPU seconds every process has used (user, nice, system, irq, softirq),
 * or -1. */
static double machine_seconds(void) {
  unsigned long long user, nice, system, idle, iowait, irq, softirq;
  FILE* stat = fopen("/proc/stat", "r");
  if (stat == NULL) return -1.0;
  const int read = fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system,
                          &idle, &iowait, &irq, &softirq);
  fclose(stat);
  if (read != 7) return -1.0;
  return (double)(user + nice + system + irq + softirq) / (double)sysconf(_SC_CLK_TCK);
}

struct client {
  const fastdnn_model* model;
  const float* X;
  size_t rows;
  float* out;
  pthread_barrier_t* start;
  volatile int* stop;
  long calls;
  int code;
};

static void* serve(void* argument) {
  struct client* client = argument;
  client->code = fastdnn_predict(client->model, client->X, client->rows, client->out);
  pthread_barrier_wait(client->start);
  while (!*client->stop && client->code == FASTDNN_OK) {
    client->code = fastdnn_predict(client->model, client->X, client->rows, client->out);
    ++client->calls;
  }
  return NULL;
}

static int latency(const fastdnn_model* model, const float* X, size_t rows, float* out,
                   long calls) {
  double* seconds = malloc((size_t)calls * sizeof *seconds);
  int code = seconds == NULL ? FASTDNN_ERROR_OUT_OF_MEMORY : fastdnn_predict(model, X, rows, out);
  for (long call = 0; call < calls && code == FASTDNN_OK; ++call) {
    const double start = now();
    code = fastdnn_predict(model, X, rows, out);
    seconds[call] = now() - start;
  }
  for (long call = 0; call < calls && code == FASTDNN_OK; ++call) printf("%.9e\n", seconds[call]);
  free(seconds);
  return code;
}

static int throughput(const fastdnn_model* model, const float* X, size_t n_rows, size_t rows,
                      double seconds, int n_threads) {
  const size_t n_features = fastdnn_n_features(model);
  const size_t n_outputs = fastdnn_n_outputs(model);
  struct client* clients = calloc((size_t)n_threads, sizeof *clients);
  pthread_t* threads = calloc((size_t)n_threads, sizeof *threads);
  float* out = malloc((size_t)n_threads * rows * n_outputs * sizeof *out);
  if (clients == NULL || threads == NULL || out == NULL) return FASTDNN_ERROR_OUT_OF_MEMORY;
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)n_threads + 1);
  volatile int stop = 0;
  for (int t = 0; t < n_threads; ++t) {
    const size_t first = ((size_t)t * rows) % (n_rows - rows + 1);
    clients[t] = (struct client){
        model,     X + first * n_features, rows, out + t * rows * n_outputs, &start, &stop, 0,
        FASTDNN_OK};
    pthread_create(&threads[t], NULL, serve, &clients[t]);
  }
  pthread_barrier_wait(&start);
  const double began = now(), ours = process_seconds(), machine = machine_seconds();
  struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
  stop = 1;
  for (int t = 0; t < n_threads; ++t) pthread_join(threads[t], NULL);
  const double elapsed = now() - began;
  const double busy = (process_seconds() - ours) / elapsed;
  const double all = machine_seconds();
  const double others = machine < 0 || all < 0 ? -1.0 : (all - machine) / elapsed - busy;
  long calls = 0;
  int code = FASTDNN_OK;
  for (int t = 0; t < n_threads; ++t) {
    calls += clients[t].calls;
    if (clients[t].code != FASTDNN_OK) code = clients[t].code;
  }
  if (code == FASTDNN_OK) printf("%ld %.9f %.4f %.4f\n", calls, elapsed, busy, others);
  pthread_barrier_destroy(&start);
  free(out);
  free(threads);
  free(clients);
  return code;
}

int main(int argc, char** argv) {
  const int is_latency = argc == 6 && strcmp(argv[4], "latency") == 0;
  const int is_throughput = argc == 7 && strcmp(argv[4], "throughput") == 0;
  if (!is_latency && !is_throughput) {
    fprintf(stderr,
            "usage: %s MODEL_FILE ROWS_FILE ROWS_PER_CALL latency CALLS\n"
            "       %s MODEL_FILE ROWS_FILE ROWS_PER_CALL throughput SECONDS THREADS\n",
            argv[0], argv[0]);
    return 2;
  }
  char error[512];
  fastdnn_model* model = fastdnn_load(argv[1], error, sizeof error);
  if (model == NULL) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  const size_t n_features = fastdnn_n_features(model);
  const size_t rows = (size_t)strtoul(argv[3], NULL, 10);
  FILE* file = fopen(argv[2], "rb");
  if (file == NULL || rows == 0) {
    fprintf(stderr, "cannot read %s, or no rows per call\n", argv[2]);
    return 1;
  }
  fseek(file, 0, SEEK_END);
  const size_t n_rows = (size_t)ftell(file) / sizeof(float) / n_features;
  rewind(file);
  float* X = malloc(n_rows * n_features * sizeof *X);
  float* out = malloc(rows * fastdnn_n_outputs(model) * sizeof *out);
  if (X == NULL || out == NULL || n_rows < rows ||
      fread(X, sizeof *X, n_rows * n_features, file) != n_rows * n_features) {
    fprintf(stderr, "%s does not hold %zu rows of %zu float32\n", argv[2], rows, n_features);
    return 1;
  }
  fclose(file);
  const int code = is_latency ? latency(model, X, rows, out, strtol(argv[5], NULL, 10))
                              : throughput(model, X, n_rows, rows, strtod(argv[5], NULL),
                                           (int)strtol(argv[6], NULL, 10));
  if (code != FASTDNN_OK) fprintf(stderr, "fastdnn_predict: %s\n", fastdnn_error_string(code));
  free(out);
  free(X);
  fastdnn_free(model);
  return code == FASTDNN_OK ? 0 : 1;
}
