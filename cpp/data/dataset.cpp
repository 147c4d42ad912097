#include "data/dataset.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>

#include "kernels/arena_pass.h"
#include "kernels/vectorize_for_cpu.h"

namespace fastdnn {

namespace {

// How far ahead of its copy a shuffled row's lines are requested: enough to
// cover a trip to L3 or memory while the rows in between are copied. They are
// requested into L2 (prefetcht1): into L1, 48 lines of a 784-wide row at a
// time, the default MLPClassifier's epoch on MNIST digits was slower, and 8
// or 16 rows ahead gained nothing (docs/architecture.md).
constexpr long kRowsPrefetchedAhead = 4;

// The largest next minibatch whose rows are requested into L2 ahead of time:
// an eighth of a 1 MiB L2, so they do not push out the weights.
constexpr long kPrefetchedBatchBytes = 128 * 1024;

// __builtin_prefetch's locality that requests a line into L2 (prefetcht1).
constexpr int kIntoL2 = 2;

// Rounded to nearest, as NumPy's astype(float32) rounds; vectorised, since a
// 1000-row float64 prediction converts 784,000 values.
FASTDNN_VECTORIZE_FOR_CPU
void round_to_float(float* __restrict out, const double* __restrict values, long n) {
  for (long i = 0; i < n; ++i) out[i] = static_cast<float>(values[i]);
}

}  // namespace

Dataset::Dataset(long n_samples, int n_features, long row_stride)
    : n_samples_(n_samples),
      n_features_(n_features),
      row_stride_(row_stride > 0 ? row_stride : n_features) {
  if (row_stride_ < n_features_) {
    throw std::invalid_argument("dense rows must not overlap (row stride below n_features)");
  }
}

Dataset Dataset::dense(const float* values, long n_samples, int n_features, long row_stride) {
  Dataset dataset(n_samples, n_features, row_stride);
  dataset.dense_values_ = values;
  return dataset;
}

Dataset Dataset::dense(const double* values, long n_samples, int n_features, long row_stride) {
  Dataset dataset(n_samples, n_features, row_stride);
  dataset.dense_doubles_ = values;
  return dataset;
}

Dataset Dataset::csr(const float* data, const int64_t* indices, const int64_t* indptr,
                     long n_samples, int n_features) {
  // Checked once here so that densifying a minibatch never reads out of bounds.
  if (indptr[0] != 0) throw std::invalid_argument("CSR indptr must start at 0");
  for (long row = 0; row < n_samples; ++row) {
    if (indptr[row + 1] < indptr[row]) throw std::invalid_argument("CSR indptr must not decrease");
  }
  for (int64_t position = 0; position < indptr[n_samples]; ++position) {
    if (indices[position] < 0 || indices[position] >= n_features) {
      throw std::invalid_argument("CSR column index out of range");
    }
  }
  Dataset dataset(n_samples, n_features, 0);
  dataset.csr_data_ = data;
  dataset.csr_indices_ = indices;
  dataset.csr_indptr_ = indptr;
  return dataset;
}

void Dataset::densify_row(float* out, long row) const {
  if (dense_values_ != nullptr) {
    const float* source = dense_values_ + row * row_stride_;
    std::copy(source, source + n_features_, out);
    return;
  }
  if (dense_doubles_ != nullptr) {
    round_to_float(out, dense_doubles_ + row * row_stride_, n_features_);
    return;
  }
  std::fill(out, out + n_features_, 0.0f);
  // Duplicate column entries add up, as scipy's own toarray() does.
  for (int64_t position = csr_indptr_[row]; position < csr_indptr_[row + 1]; ++position) {
    out[csr_indices_[position]] += csr_data_[position];
  }
}

const float* Dataset::contiguous_rows(long first, int count, float* scratch) const {
  if (dense_values_ != nullptr && row_stride_ == n_features_) {
    return dense_values_ + first * n_features_;
  }
  for (int i = 0; i < count; ++i)
    densify_row(scratch + static_cast<long>(i) * n_features_, first + i);
  return scratch;
}

std::size_t Dataset::dense_row_bytes() const {
  if (dense_values_ != nullptr) return static_cast<std::size_t>(n_features_) * sizeof(float);
  if (dense_doubles_ != nullptr) return static_cast<std::size_t>(n_features_) * sizeof(double);
  return 0;
}

void Dataset::prefetch_row(long row) const {
  const std::size_t bytes = dense_row_bytes();
  if (bytes == 0) return;
  const std::size_t element_bytes = dense_values_ != nullptr ? sizeof(float) : sizeof(double);
  const char* begin = dense_values_ != nullptr ? reinterpret_cast<const char*>(dense_values_)
                                               : reinterpret_cast<const char*>(dense_doubles_);
  begin += static_cast<std::size_t>(row) * static_cast<std::size_t>(row_stride_) * element_bytes;
  for (std::size_t offset = 0; offset < bytes; offset += 64) {
    __builtin_prefetch(begin + offset, 0, kIntoL2);
  }
}

void Dataset::gather_rows(float* out, const int64_t* order, int count) const {
  // Shuffled rows are scattered over the whole data set: a wide minibatch's
  // gather waits on memory more than it copies, and threads wait in parallel.
  parallel_ranges(count, static_cast<long>(count) * n_features_ >= kParallelArenaElements,
                  [&](long begin, long end) {
                    for (long i = begin; i < end; ++i) {
                      if (i + kRowsPrefetchedAhead < end) {
                        prefetch_row(order[i + kRowsPrefetchedAhead]);
                      }
                      densify_row(out + i * n_features_, order[i]);
                    }
                  });
}

void Dataset::prefetch_rows(const int64_t* order, int count) const {
  if (static_cast<long>(count) * static_cast<long>(dense_row_bytes()) > kPrefetchedBatchBytes) {
    return;
  }
  for (int i = 0; i < count; ++i) prefetch_row(order[i]);
}

}  // namespace fastdnn
