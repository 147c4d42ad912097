/* fastdnn's C API: load a model file written by est.save(path) and predict
 * with it from C or C++, without Python (docs/c_api.md).
 *
 * Any number of threads may call fastdnn_predict on one model at once; each
 * gets what a single thread would. A model is freed once, after every call
 * on it has returned. */
#ifndef FASTDNN_H
#define FASTDNN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The C API's version. The functions below never change their meaning or
 * their signature within a major version; a new minor version may only add.
 * libfastdnn's symbols carry the version node FASTDNN_1. */
#define FASTDNN_API_VERSION_MAJOR 1
#define FASTDNN_API_VERSION_MINOR 0

#if defined(__GNUC__)
#define FASTDNN_API __attribute__((visibility("default")))
#else
#define FASTDNN_API
#endif

/* What fastdnn_predict returns; fastdnn_error_string names each. */
enum fastdnn_error {
  FASTDNN_OK = 0,
  FASTDNN_ERROR_NULL_ARGUMENT = 1,    /* model, X or out is NULL */
  FASTDNN_ERROR_NO_ROWS = 2,          /* n_rows is 0 */
  FASTDNN_ERROR_NON_FINITE_INPUT = 3, /* X holds NaN or infinity */
  FASTDNN_ERROR_TOO_MANY_ROWS = 4,    /* X or out would not fit in memory's address range */
  FASTDNN_ERROR_OUT_OF_MEMORY = 5,    /* the prediction's workspace could not be allocated */
  FASTDNN_ERROR_INTERNAL = 6          /* a failure inside the engine: please report it */
};

typedef struct fastdnn_model fastdnn_model;

/* The model in the file at path, or NULL on failure, with the reason in
 * error (at most error_size bytes, NUL included; error may be NULL). Every
 * corrupt, truncated or foreign file is refused, never read past its end. */
FASTDNN_API fastdnn_model* fastdnn_load(const char* path, char* error, size_t error_size);

/* Frees a model from fastdnn_load; NULL does nothing. */
FASTDNN_API void fastdnn_free(fastdnn_model* model);

/* Columns of X (0 for NULL). */
FASTDNN_API size_t fastdnn_n_features(const fastdnn_model* model);

/* Columns of out: classes for a classifier (2 for a binary one, as
 * predict_proba gives), targets for a regressor (0 for NULL). */
FASTDNN_API size_t fastdnn_n_outputs(const fastdnn_model* model);

/* The file's JSON header (classes, feature names, parameters...), NUL
 * terminated, owned by the model (NULL for NULL). */
FASTDNN_API const char* fastdnn_metadata_json(const fastdnn_model* model);

/* X: n_rows x n_features, row-major float32. out: n_rows x n_outputs: class
 * probabilities in classes_ order (predict_proba) for a classifier,
 * predictions for a regressor. 0 (FASTDNN_OK) on success, else an error
 * code, with out left undefined. */
FASTDNN_API int fastdnn_predict(const fastdnn_model* model, const float* X, size_t n_rows,
                                float* out);

/* A sentence naming the problem of an error code (any int, unknown ones
 * included); a static string. */
FASTDNN_API const char* fastdnn_error_string(int code);

#ifdef __cplusplus
}
#endif

#endif /* FASTDNN_H */
