#pragma once

namespace fastdnn {

// Eigendecomposition of a small symmetric matrix by cyclic Jacobi rotations,
// in double: a (n,n), row-major, is destroyed; eigenvalues (n) and the
// orthonormal eigenvectors as the columns of eigenvectors (n,n) are written.
// Jacobi rather than a tridiagonal QR: a few dozen lines with no library,
// accurate for small eigenvalues (which whitening divides by), and its fixed
// sweep order makes the result a pure function of the input.
void symmetric_eigen(double* a, double* eigenvalues, double* eigenvectors, int n);

}  // namespace fastdnn
