#include "nn/decorrelated_batch_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/symmetric_eigen.h"

namespace fastdnn {

namespace {

// One call's double-precision workspace, kept by each thread between calls
// so that a training step or a prediction allocates nothing once it has grown.
double* scratch_doubles(size_t size) {
  thread_local std::vector<double> scratch;
  if (scratch.size() < size) scratch.resize(size);
  return scratch.data();
}

// out (B, m) of row stride C ← a (B, m) of row stride C times matrix (m, m),
// summed in double, each row on its own: a row's result is the same in any
// batch. row (m) is scratch.
void rows_times_matrix(float* out, const float* a, const float* matrix, int B, int C, int m,
                       double* row) {
  for (int i = 0; i < B; ++i) {
    const float* a_row = a + static_cast<long>(i) * C;
    std::fill(row, row + m, 0.0);
    for (int k = 0; k < m; ++k) {
      const double value = a_row[k];
      const float* matrix_row = matrix + static_cast<long>(k) * m;
      for (int j = 0; j < m; ++j) row[j] += value * matrix_row[j];
    }
    float* out_row = out + static_cast<long>(i) * C;
    for (int j = 0; j < m; ++j) out_row[j] = static_cast<float>(row[j]);
  }
}

// out (m,m) ← op(a)·op(b), op transposing where asked, summed in double.
template <class A, class B>
void matrix_product(double* out, const A* a, bool transpose_a, const B* b, bool transpose_b,
                    int m) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < m; ++j) {
      double sum = 0.0;
      for (int k = 0; k < m; ++k) {
        sum += static_cast<double>(transpose_a ? a[k * m + i] : a[i * m + k]) *
               (transpose_b ? b[j * m + k] : b[k * m + j]);
      }
      out[i * m + j] = sum;
    }
  }
}

}  // namespace

void decorrelated_batch_norm_forward(float* out, float* normalized, float* centered, float* mean,
                                     float* whitening, float* eigenvectors, float* eigenvalues,
                                     const float* inp, const float* gain, const float* shift, int B,
                                     int C, int groups, float epsilon) {
  const int m = C / groups;
  const long mm = static_cast<long>(m) * m;
  double* covariance = scratch_doubles(2 * mm + 3 * m);
  double* vectors = covariance + mm;
  double* values = vectors + mm;
  double* column_mean = values + m;
  double* row = column_mean + m;
  for (int g = 0; g < groups; ++g) {
    const int first = g * m;
    std::fill(column_mean, column_mean + m, 0.0);
    for (int i = 0; i < B; ++i) {
      const float* row = inp + static_cast<long>(i) * C + first;
      for (int j = 0; j < m; ++j) column_mean[j] += row[j];
    }
    for (int j = 0; j < m; ++j) {
      column_mean[j] /= B;
      mean[first + j] = static_cast<float>(column_mean[j]);
    }
    std::fill(covariance, covariance + static_cast<long>(m) * m, 0.0);
    for (int i = 0; i < B; ++i) {
      const long base = static_cast<long>(i) * C + first;
      for (int j = 0; j < m; ++j) {
        centered[base + j] = static_cast<float>(inp[base + j] - column_mean[j]);
      }
      for (int a = 0; a < m; ++a) {
        const double ca = centered[base + a];
        for (int b = a; b < m; ++b)
          covariance[static_cast<long>(a) * m + b] += ca * centered[base + b];
      }
    }
    for (int a = 0; a < m; ++a) {
      for (int b = a; b < m; ++b) {
        double& entry = covariance[static_cast<long>(a) * m + b];
        entry = entry / B + (a == b ? epsilon : 0.0);
        covariance[static_cast<long>(b) * m + a] = entry;
      }
    }
    symmetric_eigen(covariance, values, vectors, m);
    // Σ + εI has no eigenvalue below ε, but rounding can take one there, and
    // a large covariance's smallest one below zero.
    for (int k = 0; k < m; ++k) values[k] = std::max(values[k], static_cast<double>(epsilon));
    float* group_whitening = whitening + static_cast<long>(g) * m * m;
    float* group_vectors = eigenvectors + static_cast<long>(g) * m * m;
    for (int k = 0; k < m; ++k) eigenvalues[first + k] = static_cast<float>(values[k]);
    for (int a = 0; a < m; ++a) {
      for (int b = 0; b < m; ++b) {
        double sum = 0.0;
        for (int k = 0; k < m; ++k) {
          sum += vectors[static_cast<long>(a) * m + k] * vectors[static_cast<long>(b) * m + k] /
                 std::sqrt(values[k]);
        }
        group_whitening[static_cast<long>(a) * m + b] = static_cast<float>(sum);
        group_vectors[static_cast<long>(a) * m + b] =
            static_cast<float>(vectors[static_cast<long>(a) * m + b]);
      }
    }
    rows_times_matrix(normalized + first, centered + first, group_whitening, B, C, m, row);
  }
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) out[base + j] = gain[j] * normalized[base + j] + shift[j];
  }
}

void decorrelated_batch_norm_inference(float* out, const float* inp, const float* gain,
                                       const float* shift, const float* running_mean,
                                       const float* running_whitening, int B, int C, int groups) {
  const int m = C / groups;
  double* product = scratch_doubles(m);
  for (int i = 0; i < B; ++i) {
    for (int g = 0; g < groups; ++g) {
      const long base = static_cast<long>(i) * C + static_cast<long>(g) * m;
      const float* W = running_whitening + static_cast<long>(g) * m * m;
      std::fill(product, product + m, 0.0);
      for (int k = 0; k < m; ++k) {
        // Centred in float, as training's centred inputs are.
        const double value = inp[base + k] - running_mean[g * m + k];
        for (int j = 0; j < m; ++j) product[j] += value * W[static_cast<long>(k) * m + j];
      }
      for (int j = 0; j < m; ++j) {
        out[base + j] = gain[g * m + j] * static_cast<float>(product[j]) + shift[g * m + j];
      }
    }
  }
}

void decorrelated_batch_norm_backward(float* dinp, float* dgain, float* dshift, const float* dout,
                                      const float* normalized, const float* centered,
                                      const float* whitening, const float* eigenvectors,
                                      const float* eigenvalues, const float* gain, int B, int C,
                                      int groups) {
  for (int i = 0; i < B; ++i) {
    const long base = static_cast<long>(i) * C;
    for (int j = 0; j < C; ++j) {
      dshift[j] += dout[base + j];
      dgain[j] += dout[base + j] * normalized[base + j];
    }
  }
  const int m = C / groups;
  const long mm = static_cast<long>(m) * m;
  double* G = scratch_doubles(4 * mm + 3 * m + static_cast<long>(B) * m);
  double* product = G + mm;          // G·U, then U·P
  double* projected = product + mm;  // P = (UᵀGU) ∘ K
  double* sigma_gradient = projected + mm;
  double* root = sigma_gradient + mm;
  double* row = root + m;
  double* column_mean = row + m;
  double* scaled_delta = column_mean + m;  // (B, m): g, then ∂L/∂c
  for (int g = 0; g < groups; ++g) {
    const int first = g * m;
    const float* W = whitening + g * mm;
    const float* U = eigenvectors + g * mm;
    for (int k = 0; k < m; ++k) root[k] = std::sqrt(static_cast<double>(eigenvalues[first + k]));
    // g = gain·dout, and G = (x − μ)ᵀ·g, W's gradient.
    std::fill(G, G + mm, 0.0);
    for (int i = 0; i < B; ++i) {
      const long base = static_cast<long>(i) * C + first;
      double* d = scaled_delta + static_cast<long>(i) * m;
      for (int j = 0; j < m; ++j) d[j] = static_cast<double>(gain[first + j]) * dout[base + j];
      for (int a = 0; a < m; ++a) {
        const double ca = centered[base + a];
        for (int b = 0; b < m; ++b) G[a * m + b] += ca * d[b];
      }
    }
    // P = (UᵀGU) ∘ K, then Σ's gradient U·P·Uᵀ.
    matrix_product(product, G, false, U, false, m);
    matrix_product(projected, U, true, product, false, m);
    for (int l = 0; l < m; ++l) {
      for (int k = 0; k < m; ++k) {
        projected[l * m + k] *= -1.0 / (root[l] * root[k] * (root[l] + root[k]));
      }
    }
    matrix_product(product, U, false, projected, false, m);
    matrix_product(sigma_gradient, product, false, U, true, m);
    // Symmetrised: Σ is symmetric, and so is its change.
    for (int a = 0; a < m; ++a) {
      for (int b = a; b < m; ++b) {
        // 2·sym(S)/B: Σ = cᵀc/B gives c's gradient 2·c·sym(S)/B.
        const double symmetric = (sigma_gradient[a * m + b] + sigma_gradient[b * m + a]) / B;
        sigma_gradient[a * m + b] = sigma_gradient[b * m + a] = symmetric;
      }
    }
    // ∂L/∂c = g·W + c·2sym(S)/B, then the mean's part: subtract its column means.
    std::fill(column_mean, column_mean + m, 0.0);
    for (int i = 0; i < B; ++i) {
      const long base = static_cast<long>(i) * C + first;
      const double* d = scaled_delta + static_cast<long>(i) * m;
      std::fill(row, row + m, 0.0);
      for (int a = 0; a < m; ++a) {
        const double da = d[a], ca = centered[base + a];
        for (int b = 0; b < m; ++b) row[b] += da * W[a * m + b] + ca * sigma_gradient[a * m + b];
      }
      double* stored = scaled_delta + static_cast<long>(i) * m;
      for (int b = 0; b < m; ++b) {
        stored[b] = row[b];
        column_mean[b] += row[b];
      }
    }
    for (int b = 0; b < m; ++b) column_mean[b] /= B;
    for (int i = 0; i < B; ++i) {
      const long base = static_cast<long>(i) * C + first;
      const double* stored = scaled_delta + static_cast<long>(i) * m;
      for (int b = 0; b < m; ++b) dinp[base + b] = static_cast<float>(stored[b] - column_mean[b]);
    }
  }
}

}  // namespace fastdnn
