#pragma once

#include <cstddef>
#include <cstdint>

namespace fastdnn {

// A read-only view of the training or prediction inputs: a dense row-major
// float32 matrix, a dense float64 one converted to float32 a chunk of rows at
// a time (NumPy's default dtype, without a converted copy of all of X), or a
// CSR matrix that stays sparse and is densified one minibatch at a time.
// Dense rows may lie row_stride elements apart (row_stride ≥ n_features: the
// leading columns of a wider array, as a memory-mapped file's slice can be),
// so that no input has to be copied whole. It owns nothing; the caller keeps
// the arrays alive.
class Dataset {
 public:
  static Dataset dense(const float* values, long n_samples, int n_features, long row_stride = 0);
  static Dataset dense(const double* values, long n_samples, int n_features, long row_stride = 0);
  static Dataset csr(const float* data, const int64_t* indices, const int64_t* indptr,
                     long n_samples, int n_features);

  long n_samples() const { return n_samples_; }
  int n_features() const { return n_features_; }

  // Rows [first, first + count) as a dense (count, n_features) block: a pointer
  // into the data when it is contiguous float32, else the rows densified into
  // scratch.
  const float* contiguous_rows(long first, int count, float* scratch) const;

  // out (count, n_features) ← the rows named by order[0..count), densified.
  void gather_rows(float* out, const int64_t* order, int count) const;

  // Asks for the cache lines of the rows named by order[0..count) into L2,
  // where the next minibatch's gather finds them: a small net trains a
  // minibatch in less time than its shuffled rows take to come from memory
  // one by one. Does nothing for batches too big to sit in L2 beside the
  // weights, whose gathers the copy's own look-ahead covers.
  void prefetch_rows(const int64_t* order, int count) const;

 private:
  Dataset(long n_samples, int n_features, long row_stride);
  void densify_row(float* out, long row) const;
  // Bytes of one row of dense X as stored (float32 or float64); 0 for CSR.
  std::size_t dense_row_bytes() const;
  // Asks for a dense row's cache lines into L2 ahead of their copy: shuffled
  // rows lie anywhere in X, where no hardware prefetcher can guess the next
  // one.
  void prefetch_row(long row) const;

  long n_samples_ = 0;
  int n_features_ = 0;
  long row_stride_ = 0;  // elements from one dense row to the next
  const float* dense_values_ = nullptr;
  const double* dense_doubles_ = nullptr;
  const float* csr_data_ = nullptr;
  const int64_t* csr_indices_ = nullptr;
  const int64_t* csr_indptr_ = nullptr;
};

}  // namespace fastdnn
