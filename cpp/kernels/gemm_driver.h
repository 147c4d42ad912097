#pragma once

// The blocked, packed SGEMM driver shared by every instruction set
// (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication",
// 2008; the BLIS loop structure). Each gemm_<isa>.cpp instantiates it with
// its own micro-kernel and is compiled with its own flags, so this header is
// compiled once per ISA.
//
// The Kernel type provides:
//   MR, NR            the register tile: MR rows × NR columns of C
//   micro_kernel(kc, packed_a, packed_b, c, ldc, beta)
//                     acc = Σ_p packed_a[p·MR + i] · packed_b[p·NR + j] over p < kc,
//                     as one multiply_add chain per element starting from 0;
//                     then c[i,j] = beta == 0 ? acc : multiply_add(beta, c[i,j], acc)
//   row_block(kc, a, a_stride, b, ldb, c, beta)
//                     the same for one row of A (a[p·a_stride]) against NR
//                     contiguous columns of an unpacked row-major B
//   multiply_add(x, y, z)
//                     x·y + z rounded exactly as the kernel's vector lanes do
//
// Determinism: an element of C is always the same sequence of operations:
// for each block of KC values of k in order, a multiply_add chain from 0 over
// that block, folded into C as above (beta for the first block, 1 after).
// Packed tiles, edge tiles and the direct path all follow it, so an element
// depends only on its row of op(A), its column of op(B) and C — never on m,
// on its tile, or on the thread count. Threads split output tiles, never k,
// and no block size depends on the number of threads.

#include <algorithm>

#include "kernels/aligned_buffer.h"

namespace fastdnn::gemm_detail {

inline constexpr int kBlockK = 256;    // KC: a packed A panel (MR×KC) and B panel (KC×NR) sit in L1
inline constexpr int kBlockN = 1024;   // NC: the packed B block (KC×NC, 1 MiB) sits in L2/L3
inline constexpr int kPanelsM = 24;    // MC = 24·MR rows of packed A (≤ 96 KiB at KC) sit in L2
inline constexpr int kDirectRows = 4;  // up to this many rows skip packing (serving one row)
inline constexpr long kParallelWork = 1L
                                      << 18;  // m·n·k below which threads cost more than they give

// Element (row, col) of op(M) for a row-major M with row stride ld.
inline float element(const float* matrix, int ld, bool transpose, int row, int col) {
  return transpose ? matrix[static_cast<long>(col) * ld + row]
                   : matrix[static_cast<long>(row) * ld + col];
}

// C ← beta·C where k = 0 leaves no product to add.
inline void scale(int m, int n, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i) {
    float* row = c + static_cast<long>(i) * ldc;
    for (int j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
  }
}

// packed (panels of MR rows: p-major, MR values per p, zero-padded) ← op(A)[rows, k block]
template <int MR>
void pack_a_panel(float* packed, const float* a, int lda, bool transpose_a, int first_row, int rows,
                  int first_k, int kc) {
  for (int p = 0; p < kc; ++p) {
    float* destination = packed + static_cast<long>(p) * MR;
    for (int i = 0; i < rows; ++i) {
      destination[i] = element(a, lda, transpose_a, first_row + i, first_k + p);
    }
    for (int i = rows; i < MR; ++i) destination[i] = 0.0f;
  }
}

// packed (p-major, NR values per p, zero-padded) ← op(B)[k block, columns]
template <int NR>
void pack_b_panel(float* packed, const float* b, int ldb, bool transpose_b, int first_k, int kc,
                  int first_col, int cols) {
  for (int p = 0; p < kc; ++p) {
    float* destination = packed + static_cast<long>(p) * NR;
    if (!transpose_b) {
      const float* source = b + static_cast<long>(first_k + p) * ldb + first_col;
      std::copy(source, source + cols, destination);
    } else {
      for (int j = 0; j < cols; ++j)
        destination[j] = b[static_cast<long>(first_col + j) * ldb + first_k + p];
    }
    for (int j = cols; j < NR; ++j) destination[j] = 0.0f;
  }
}

// One tile of C from packed panels; an edge tile goes through a full MR×NR
// scratch tile so that it runs the very same micro-kernel.
template <class Kernel>
void compute_tile(int kc, const float* packed_a, const float* packed_b, float* c, int ldc, int rows,
                  int cols, float beta) {
  constexpr int MR = Kernel::MR, NR = Kernel::NR;
  if (rows == MR && cols == NR) {
    Kernel::micro_kernel(kc, packed_a, packed_b, c, ldc, beta);
    return;
  }
  alignas(kBufferAlignment) float tile[MR * NR];
  Kernel::micro_kernel(kc, packed_a, packed_b, tile, NR, 0.0f);
  for (int i = 0; i < rows; ++i) {
    float* row = c + static_cast<long>(i) * ldc;
    for (int j = 0; j < cols; ++j) {
      const float accumulated = tile[i * NR + j];
      row[j] = beta == 0.0f ? accumulated : Kernel::multiply_add(beta, row[j], accumulated);
    }
  }
}

// Few rows against an unpacked row-major B: no packing pass over B, which for
// one row would cost more than the product itself.
template <class Kernel>
void direct_rows(bool transpose_a, int m, int n, int k, const float* a, int lda, const float* b,
                 int ldb, float beta, float* c, int ldc) {
  constexpr int NR = Kernel::NR;
  for (int i = 0; i < m; ++i) {
    const float* a_row = transpose_a ? a + i : a + static_cast<long>(i) * lda;
    const long a_stride = transpose_a ? lda : 1;
    float* c_row = c + static_cast<long>(i) * ldc;
    for (int first_k = 0; first_k < k; first_k += kBlockK) {
      const int kc = std::min(kBlockK, k - first_k);
      const float block_beta = first_k == 0 ? beta : 1.0f;
      const float* a_block = a_row + first_k * a_stride;
      const float* b_block = b + static_cast<long>(first_k) * ldb;
      int j = 0;
      for (; j + NR <= n; j += NR) {
        Kernel::row_block(kc, a_block, a_stride, b_block + j, ldb, c_row + j, block_beta);
      }
      for (; j < n; ++j) {
        float accumulated = 0.0f;
        for (int p = 0; p < kc; ++p) {
          accumulated = Kernel::multiply_add(a_block[p * a_stride],
                                             b_block[static_cast<long>(p) * ldb + j], accumulated);
        }
        c_row[j] = block_beta == 0.0f ? accumulated
                                      : Kernel::multiply_add(block_beta, c_row[j], accumulated);
      }
    }
  }
}

template <class Kernel>
void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  constexpr int MR = Kernel::MR, NR = Kernel::NR;
  constexpr int block_m = kPanelsM * MR;
  if (k == 0) return scale(m, n, beta, c, ldc);
  if (m <= kDirectRows && !transpose_b) {
    return direct_rows<Kernel>(transpose_a, m, n, k, a, lda, b, ldb, beta, c, ldc);
  }

  // Grown once to the largest block seen, then reused: no allocation per call.
  thread_local AlignedVector<float> packed_a, packed_b;
  const int n_block = std::min(kBlockN, n);
  const int k_block = std::min(kBlockK, k);
  const int m_block = std::min(block_m, m);
  const size_t needed_b = static_cast<size_t>((n_block + NR - 1) / NR) * NR * k_block;
  const size_t needed_a = static_cast<size_t>((m_block + MR - 1) / MR) * MR * k_block;
  if (packed_b.size() < needed_b) packed_b.resize(needed_b);
  if (packed_a.size() < needed_a) packed_a.resize(needed_a);
  float* const packed_b_data = packed_b.data();
  float* const packed_a_data = packed_a.data();
  const bool parallel = static_cast<long>(m) * n * k >= kParallelWork;

#pragma omp parallel if (parallel)
  for (int first_col = 0; first_col < n; first_col += kBlockN) {
    const int nc = std::min(kBlockN, n - first_col);
    const int n_panels = (nc + NR - 1) / NR;
    for (int first_k = 0; first_k < k; first_k += kBlockK) {
      const int kc = std::min(kBlockK, k - first_k);
      const float block_beta = first_k == 0 ? beta : 1.0f;
#pragma omp for schedule(static)
      for (int panel = 0; panel < n_panels; ++panel) {
        pack_b_panel<NR>(packed_b_data + static_cast<long>(panel) * NR * kc, b, ldb, transpose_b,
                         first_k, kc, first_col + panel * NR, std::min(NR, nc - panel * NR));
      }
      for (int first_row = 0; first_row < m; first_row += block_m) {
        const int mc = std::min(block_m, m - first_row);
        const int m_panels = (mc + MR - 1) / MR;
#pragma omp for schedule(static)
        for (int panel = 0; panel < m_panels; ++panel) {
          pack_a_panel<MR>(packed_a_data + static_cast<long>(panel) * MR * kc, a, lda, transpose_a,
                           first_row + panel * MR, std::min(MR, mc - panel * MR), first_k, kc);
        }
        // Column panels outside, row panels inside: consecutive tiles of a
        // thread share the B panel in L1.
#pragma omp for collapse(2) schedule(static)
        for (int column_panel = 0; column_panel < n_panels; ++column_panel) {
          for (int row_panel = 0; row_panel < m_panels; ++row_panel) {
            const int row = first_row + row_panel * MR;
            const int col = first_col + column_panel * NR;
            compute_tile<Kernel>(kc, packed_a_data + static_cast<long>(row_panel) * MR * kc,
                                 packed_b_data + static_cast<long>(column_panel) * NR * kc,
                                 c + static_cast<long>(row) * ldc + col, ldc, std::min(MR, m - row),
                                 std::min(NR, n - col), block_beta);
          }
        }
      }
    }
  }
}

}  // namespace fastdnn::gemm_detail
