#include "kernels/symmetric_eigen.h"

#include <algorithm>
#include <cmath>

namespace fastdnn {

namespace {

// Jacobi converges quadratically; this many sweeps only bounds a matrix of
// NaN, which never converges.
constexpr int kMaxSweeps = 64;

}  // namespace

void symmetric_eigen(double* a, double* eigenvalues, double* eigenvectors, int n) {
  std::fill(eigenvectors, eigenvectors + static_cast<long>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) eigenvectors[static_cast<long>(i) * n + i] = 1.0;
  const auto at = [n](double* m, int row, int column) -> double& {
    return m[static_cast<long>(row) * n + column];
  };
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off_diagonal = 0.0, diagonal = 0.0;
    for (int p = 0; p < n; ++p) {
      diagonal += at(a, p, p) * at(a, p, p);
      for (int q = p + 1; q < n; ++q) off_diagonal += at(a, p, q) * at(a, p, q);
    }
    if (!(off_diagonal > 1e-30 * diagonal)) break;  // NaN stops too
    for (int p = 0; p < n - 1; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(a, p, q);
        if (apq == 0.0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan, 8.5.2), its
        // tangent the smaller root so that it stays within ±45°.
        const double theta = (at(a, q, q) - at(a, p, p)) / (2.0 * apq);
        const double t = (theta >= 0.0 ? 1.0 : -1.0) / (std::fabs(theta) + std::hypot(theta, 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int k = 0; k < n; ++k) {
          const double akp = at(a, k, p), akq = at(a, k, q);
          at(a, k, p) = c * akp - s * akq;
          at(a, k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {
          const double apk = at(a, p, k), aqk = at(a, q, k);
          at(a, p, k) = c * apk - s * aqk;
          at(a, q, k) = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = at(eigenvectors, k, p), vkq = at(eigenvectors, k, q);
          at(eigenvectors, k, p) = c * vkp - s * vkq;
          at(eigenvectors, k, q) = s * vkp + c * vkq;
        }
      }
    }
  }
  for (int i = 0; i < n; ++i) eigenvalues[i] = at(a, i, i);
}

}  // namespace fastdnn
