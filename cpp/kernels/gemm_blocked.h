#pragma once

// BLIS-style blocked SGEMM shared by every ISA backend: op(B) is packed into
// cache-sized contiguous blocks, op(A) is read in place in cache-sized blocks,
// and a register-blocked micro-kernel computes one tile of C at a time.
//
// Everything here is a template over a Target, a struct each backend declares
// in an anonymous namespace of its own translation unit. The Target supplies
// the vector type, a handful of vector operations and the block sizes. Being
// internal, each instantiation stays in its own translation unit, so the linker
// can never fold an AVX-512 copy of a function into the AVX2 path.
//
// Summation order, fixed so that every path gives bit-identical results (see
// gemm.h): k is cut into k_block_size(k) blocks starting at 0; within a block
// each element accumulates a[i,p]·b[p,j] for increasing p in its own vector
// lane, starting from 0; then C = beta·C + block for the first block (C is not
// read when beta is 0; C = 1·bias + block with an epilogue's bias) and
// C = 1·C + block for the following ones; an epilogue's finish runs on a tile
// after its last block. Nothing in
// that order depends on m, on the tile an element falls in or on threads.
// The block size is a function of k and Target::KC alone.
//
// A Target provides:
//   using Vector;                         kWidth floats
//   static Vector zero();
//   static Vector load(const float*);     unaligned
//   static void store(float*, Vector);    unaligned
//   static Vector broadcast(float);
//   static Vector load_first(const float*, int count);   the first count
//                                         floats (0..kWidth), zeros after
//   static void store_first(float*, Vector, int count);   its first count
//                                         lanes, nothing past them
//   static Vector multiply_add(Vector a, Vector b, Vector c);   a·b + c
//   static void transpose(const float* source, Index source_stride,
//                         float* destination, Index destination_stride);
//                                         a kWidth × kWidth block
//   kAccumulators: vector accumulators its registers hold besides operands
//   MR, NR: micro-tile rows and columns (NR a multiple of kWidth)
//   KC, NC: cache blocks of k and of B's columns (NC a multiple of NR)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/thread_scratch.h"

namespace fastdnn::backend {

namespace blocked {

using Index = std::ptrdiff_t;

// Where the micro-kernel finds op(A)[r, p]: data[r·row_step + p·p_step]. A
// packed panel has steps (1, MR); op(A) read in place has (lda, 1) or (1, lda).
struct RowsOfA {
  const float* data;
  Index row_step;
  Index p_step;
};

// The kernels are forced inline so that each call site gets the steps of A and
// B as constants: the packed path's inner loop then has immediate offsets.
#define FASTDNN_KERNEL_INLINE [[gnu::always_inline]] inline

// c (Rows, Vectors·kWidth), row stride ldc ← beta·c + Σ_p a(r, p)·b[p·b_row_step + j]
// in the order described at the top, or bias[j] + Σ_p ... when bias is not null.
// Only the first Rows rows of `a` are read; `b` is either a packed B panel or B itself.
// With MaskLast, the last vector holds only last_columns (1..kWidth) columns:
// B, bias and C are read and C written through masks, never past them, so B
// read in place needs no zero-padded copy. With MaskFirst, the first vector
// holds only first_columns (1..kWidth) and the others start right after it.
template <class Target, int Rows, int Vectors, bool MaskLast = false, bool MaskFirst = false>
FASTDNN_KERNEL_INLINE void micro_kernel(float* c, Index ldc, float beta, const float* bias, int kc,
                                        RowsOfA a, const float* b, Index b_row_step,
                                        int last_columns = Target::kWidth,
                                        int first_columns = Target::kWidth) {
  static_assert(!MaskFirst || Vectors > 1, "a masked first vector needs others after it");
  using Vector = typename Target::Vector;
  constexpr int width = Target::kWidth;
  const int shift = MaskFirst ? first_columns - width : 0;
  const auto column = [shift](int v) { return v == 0 ? 0 : v * width + shift; };
  const auto columns_in = [first_columns, last_columns](int v) {
    if (MaskFirst && v == 0) return first_columns;
    if (MaskLast && v == Vectors - 1) return last_columns;
    return width;
  };
  const auto masked = [](int v) { return (MaskFirst && v == 0) || (MaskLast && v == Vectors - 1); };
  const auto load = [&](const float* row, int v) {
    if (masked(v)) return Target::load_first(row + column(v), columns_in(v));
    return Target::load(row + column(v));
  };
  const auto store = [&](float* row, int v, Vector value) {
    if (masked(v)) {
      Target::store_first(row + column(v), value, columns_in(v));
    } else {
      Target::store(row + column(v), value);
    }
  };
  // Every loop over rows (up to MR) and vectors (up to 17 with a leading
  // masked one) must unroll fully, or the accumulators live in memory.
  Vector accumulator[Rows][Vectors];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 32
    for (int v = 0; v < Vectors; ++v) accumulator[r][v] = Target::zero();
  }
  for (int p = 0; p < kc; ++p) {
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) {
      const Vector a_rp = Target::broadcast(a.data[r * a.row_step]);
#pragma GCC unroll 32
      for (int v = 0; v < Vectors; ++v) {
        accumulator[r][v] = Target::multiply_add(a_rp, load(b, v), accumulator[r][v]);
      }
    }
    a.data += a.p_step;
    b += b_row_step;
  }
  if (bias != nullptr) {
    // 1·bias + sum: exactly what C filled with bias and beta = 1 would give.
    const Vector one = Target::broadcast(1.0f);
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 32
      for (int v = 0; v < Vectors; ++v) {
        store(c + r * ldc, v, Target::multiply_add(one, load(bias, v), accumulator[r][v]));
      }
    }
    return;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 32
      for (int v = 0; v < Vectors; ++v) store(c + r * ldc, v, accumulator[r][v]);
    }
    return;
  }
  const Vector beta_vector = Target::broadcast(beta);
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 32
    for (int v = 0; v < Vectors; ++v) {
      float* c_r = c + r * ldc;
      store(c_r, v, Target::multiply_add(beta_vector, load(c_r, v), accumulator[r][v]));
    }
  }
}

// ceil(k / KC) blocks of equal size (the last may be shorter) rather than
// KC-sized ones: with k = 784 and KC = 256 a last block of 16 would be all C
// traffic and no arithmetic. Depends on k alone, so every path and every
// thread cuts k the same way.
template <class Target>
int k_block_size(int k) {
  const int blocks = (k + Target::KC - 1) / Target::KC;
  return (k + blocks - 1) / blocks;
}

// micro_kernel for a row count known only at run time (1..MR).
template <class Target, int Vectors, int Rows = Target::MR>
FASTDNN_KERNEL_INLINE void micro_kernel_rows(int rows, float* c, Index ldc, float beta,
                                             const float* bias, int kc, RowsOfA a, const float* b,
                                             Index b_row_step) {
  if constexpr (Rows > 1) {
    if (rows < Rows) {
      micro_kernel_rows<Target, Vectors, Rows - 1>(rows, c, ldc, beta, bias, kc, a, b, b_row_step);
      return;
    }
  }
  micro_kernel<Target, Rows, Vectors>(c, ldc, beta, bias, kc, a, b, b_row_step);
}

// A tile of `rows` × `columns` (columns ≤ Vectors·kWidth). A narrower tile goes
// through the full-width kernel on a scratch copy, so its elements see exactly
// the instructions every other element sees.
template <class Target, int Vectors>
FASTDNN_KERNEL_INLINE void tile(int rows, int columns, float* c, Index ldc, float beta,
                                const float* bias, int kc, RowsOfA a, const float* b,
                                Index b_row_step) {
  constexpr int width = Vectors * Target::kWidth;
  if (columns == width) {
    micro_kernel_rows<Target, Vectors>(rows, c, ldc, beta, bias, kc, a, b, b_row_step);
    return;
  }
  // Only the rows and columns that are read are initialised: columns past
  // `columns` start at zero, since the kernel reads C's whole width.
  alignas(64) float scratch[Target::MR * width];
  const float* start = bias;
  Index start_step = 0;
  if (bias == nullptr && beta != 0.0f) {
    start = c;
    start_step = ldc;
  }
  if (start != nullptr) {
    // The bias row would be read past its end: start from it in the scratch.
    for (int r = 0; r < rows; ++r) {
      float* row = scratch + r * width;
      for (int j = 0; j < columns; ++j) row[j] = start[r * start_step + j];
      for (int j = columns; j < width; ++j) row[j] = 0.0f;
    }
    if (bias != nullptr) beta = 1.0f;
  }
  micro_kernel_rows<Target, Vectors>(rows, scratch, width, beta, nullptr, kc, a, b, b_row_step);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < columns; ++j) c[r * ldc + j] = scratch[r * width + j];
  }
}

// packed (kc, Width) ← columns [0, columns) of op(B) over kc rows, zero beyond
// `columns`. `b` points at the block's first element of op(B). Unless null,
// column_sums (columns) += those rows of op(B), in increasing row order.
template <class Target, int Width>
void pack_b(float* packed, bool transpose_b, const float* b, Index ldb, int columns, int kc,
            float* column_sums) {
  constexpr int width = Target::kWidth;
  if (!transpose_b) {
    for (int p = 0; p < kc; ++p) {
      float* destination = packed + p * Width;
      const float* source = b + p * ldb;
      if (columns == Width) {
        // A constant size: the compiler copies it with vector moves, not a call.
        std::memcpy(destination, source, Width * sizeof(float));
      } else {
        // A vector at a time, the one `columns` ends in masked: loops of a
        // variable length became a memcpy and a memset call per row, which
        // weighed on a 10-class output layer's product (docs/architecture.md,
        // "The GEMM").
        for (int j = 0; j < Width; j += width) {
          Target::store(destination + j,
                        Target::load_first(source + j, std::clamp(columns - j, 0, width)));
        }
      }
      if (column_sums != nullptr) {
        for (int j = 0; j < columns; ++j) column_sums[j] += destination[j];
      }
    }
    return;
  }
  // op(B)'s row p is B's column p: kWidth × kWidth blocks of B are transposed
  // in registers, since a scalar scatter of them slowed a 1024-unit layer's
  // dY·Wᵀ. The edges that do not fill a block go one by one, over zeros
  // written a vector at a time.
  if (columns < Width) {
    const int zeros_from = columns / width * width;
    for (int p = 0; p < kc; ++p) {
      for (int j = zeros_from; j < Width; j += width) {
        Target::store(packed + p * Width + j, Target::zero());
      }
    }
  }
  const int full_columns = columns / width * width, full_rows = kc / width * width;
  for (int j = 0; j < full_columns; j += width) {
    for (int p = 0; p < full_rows; p += width) {
      Target::transpose(b + j * ldb + p, ldb, packed + p * Width + j, Width);
    }
  }
  for (int j = 0; j < columns; ++j) {
    const float* source = b + j * ldb;
    const int p_begin = j < full_columns ? full_rows : 0;
    for (int p = p_begin; p < kc; ++p) packed[p * Width + j] = source[p];
    if (column_sums != nullptr) {
      float sum = column_sums[j];
      for (int p = 0; p < kc; ++p) sum += source[p];
      column_sums[j] = sum;
    }
  }
}

// Offset of op(X)[row, column] in X.
inline Index op_offset(bool transpose, Index row, Index column, Index leading) {
  return transpose ? column * leading + row : row * leading + column;
}

// The rectangle of C that one thread computes: rows [row_begin, row_end) and
// columns [column_begin, column_end), on the packed path. sum_columns: this
// rectangle also adds its columns' sums of op(B) to epilogue.b_column_sums.
struct Rectangle {
  int row_begin, row_end, column_begin, column_end;
  bool sum_columns;
};

// Whether accesses `stride` floats apart share one or two L1 sets: a stride
// of a multiple of 2 KiB, where sets repeat every 4 KiB.
inline bool stride_aliases_in_l1(Index stride) {
  return stride % 512 == 0;
}

// Whether the MR rows of an untransposed A, read in place, fall into so few
// L1 sets that they evict each other before the next B panel re-reads them.
// L1 sets repeat every 4 KiB on the x86 cores this runs on; rows 2 KiB apart
// or any multiple of it (a 1024-unit layer's activations) share one or two
// sets, 8 to 12 ways for 14 rows, and the product fell well behind numpy's.
// Such a panel is copied once per block into rows a padded stride apart
// (copy_rows_of_a), which its B panels then read from L1; elsewhere the copy
// costs more than it saves and is skipped (docs/architecture.md, "The GEMM").
inline bool rows_of_a_alias_in_l1(bool transpose_a, Index lda) {
  return !transpose_a && stride_aliases_in_l1(lda);
}

// Whether a transposed op(A) is read in place rather than packed: where all
// of it fits in half of a 32 KiB L1 and its k steps, lda apart, do not alias
// (stride_aliases_in_l1). Its MR elements at each k step are then one contiguous run in a
// row of A, as near as a packed panel's, so a minibatch's dW (32 rows of a
// 100-wide input) skips packing them; large transposed
// products are packed, since reading them in place with a long stride fell
// behind numpy's.
inline bool reads_transposed_a_in_place(int m, int k, Index lda) {
  constexpr std::int64_t kInPlaceBytes = 16 * 1024;
  return std::int64_t{m} * k * static_cast<std::int64_t>(sizeof(float)) <= kInPlaceBytes &&
         !stride_aliases_in_l1(lda);
}

// Row stride of copy_rows_of_a's copy: whole cache lines, and one more, so
// that consecutive rows start in different L1 sets.
constexpr Index padded_row_stride(int kc) {
  constexpr Index line = 64 / sizeof(float);
  return (kc + line - 1) / line * line + line;
}

// copy (rows, kc), row stride padded_row_stride(kc) ← rows [0, rows) of an
// untransposed A over kc columns. Row by row, each a contiguous copy: packing
// into a (kc, MR) layout would be a scalar scatter, which slowed a 1024-unit
// layer's products.
inline RowsOfA copy_rows_of_a(float* copy, const float* a, Index lda, int rows, int kc) {
  const Index stride = padded_row_stride(kc);
  for (int r = 0; r < rows; ++r) {
    std::memcpy(copy + r * stride, a + r * lda, static_cast<std::size_t>(kc) * sizeof(float));
  }
  return {copy, stride, 1};
}

// Floats that pack_transposed_a copies per step of p: MR, rounded up to whole vectors.
template <class Target>
constexpr int transposed_a_step_span() {
  return (Target::MR + Target::kWidth - 1) / Target::kWidth * Target::kWidth;
}

// Floats between consecutive panels of pack_transposed_a: a panel's kc steps
// of MR rows, then room for the last step's whole-vector copy to spill into.
template <class Target>
constexpr Index transposed_a_panel_stride(int kc) {
  return static_cast<Index>(kc) * Target::MR + transposed_a_step_span<Target>();
}

// packed ← panels [first_panel, last_panel) of op(A) = Aᵀ's rows [0, m) over
// kc steps of p, cut into `panels` panels, panel q holding rows
// [q·m/panels, (q+1)·m/panels); each (kc, MR), transposed_a_panel_stride(kc)
// apart. It reads A a row at a time: in place, a panel read kc lines lda
// floats apart, each on a page of its own, which no prefetcher follows, and
// the 1024-unit layer's dW fell behind numpy's. Each step of a
// panel copies whole vectors: the lanes past its rows land on slots that a
// later step overwrites or no kernel reads; only near the end of A's row do
// the loads go masked.
template <class Target>
void pack_transposed_a(float* packed, const float* a, Index lda, int m, int panels, int first_panel,
                       int last_panel, int kc) {
  constexpr int width = Target::kWidth, span = transposed_a_step_span<Target>();
  const Index panel_stride = transposed_a_panel_stride<Target>(kc);
  const int base = m / panels, remainder = m % panels;
  // Panel q starts at floor(q·m / panels) = q·base + floor(q·remainder /
  // panels), followed from first_panel on without dividing.
  const int start = first_panel * base + first_panel * remainder / panels;
  const int start_carry = first_panel * remainder % panels;
  for (int p = 0; p < kc; ++p) {
    const float* source = a + p * lda;
    float* destination = packed + p * Target::MR;
    int first = start, carry = start_carry;
    for (int q = first_panel; q < last_panel; ++q) {
      if (first + span <= m) {
        for (int v = 0; v < span; v += width) {
          Target::store(destination + v, Target::load(source + first + v));
        }
      } else {
        for (int v = 0; v < span; v += width) {
          const int count = std::clamp(m - first - v, 0, width);
          Target::store(destination + v, Target::load_first(source + first + v, count));
        }
      }
      carry += remainder;
      first += base + (carry >= panels ? 1 : 0);
      if (carry >= panels) carry -= panels;
      destination += panel_stride;
    }
  }
}

// How much of a transposed A is packed at a time when its product has one
// block of columns: packed whole, the default net's dW (784×100×200 TN, 627
// KiB of A) wrote its panels out to L3 before the kernels read them back;
// groups of an eighth of a 1 MiB L2 stay in it (the sizes tried are in
// docs/architecture.md, "The GEMM"). Larger products, several column blocks
// wide, reuse each packed panel for every block instead.
inline constexpr int kPackedAGroupBytes = 128 * 1024;

// Computes one rectangle of C on the calling thread. B is packed, into the
// thread's own scratch, so rectangles on different threads never wait for
// each other. An untransposed A is read in place: its MR rows are MR streams
// the prefetchers follow, and packing them (as BLIS does) measured slower on
// the nets' shapes, except where the rows alias in L1
// (rows_of_a_alias_in_l1). A transposed A is packed (pack_transposed_a),
// unless it is small enough to read in place (reads_transposed_a_in_place).
// B panels are PanelWidth columns wide: NR, or one vector for a product only
// that wide (an output layer of 10 units), which then wastes 6 lanes in 16
// rather than 22 in 32. A last panel of at most one vector's columns (a
// 100-unit layer's last 4) runs the one-vector kernel too: 100 columns cost
// 112 instead of 128. Each element sees the same instructions either way.
template <class Target, int PanelWidth = Target::NR>
void sgemm_packed_rectangle(bool transpose_a, bool transpose_b, bool pack_a, int k, const float* a,
                            Index lda, const float* b, Index ldb, float beta, float* c, Index ldc,
                            const GemmEpilogue& epilogue, const Rectangle& rectangle) {
  constexpr int mr = Target::MR, nr = PanelWidth;
  constexpr int vectors = nr / Target::kWidth;
  const int n = rectangle.column_end - rectangle.column_begin;
  const int kc_max = k_block_size<Target>(k);
  const int nc_max = std::min((n + nr - 1) / nr * nr, Target::NC);
  float* b_packed =
      thread_scratch(ScratchSlot::packed_b, static_cast<std::size_t>(nc_max) * kc_max);
  // Rows shared evenly between the rectangle's panels: 32 rows run as
  // 11 + 11 + 10, not 14 + 14 + 4, whose last tile has too few
  // accumulators to hide the FMA latency.
  const int row_begin = rectangle.row_begin, m = rectangle.row_end - row_begin;
  const int a_panels = (m + mr - 1) / mr;
  const auto panel_row = [&](int panel) { return row_begin + panel * m / a_panels; };
  const bool copy_a_panels = rows_of_a_alias_in_l1(transpose_a, lda);
  float* a_copy = copy_a_panels
                      ? thread_scratch(ScratchSlot::packed_a, mr * padded_row_stride(kc_max))
                      : nullptr;
  // With one column block, a transposed A is packed and multiplied a group
  // of panels at a time (kPackedAGroupBytes); with several, all of its panels
  // are packed once for all of them.
  const int a_group =
      n <= Target::NC
          ? std::clamp(kPackedAGroupBytes / (kc_max * mr * static_cast<int>(sizeof(float))), 1,
                       a_panels)
          : a_panels;
  float* a_packed = pack_a ? thread_scratch(ScratchSlot::packed_a,
                                            a_group * transposed_a_panel_stride<Target>(kc_max))
                           : nullptr;

  // A panels [panel_begin, panel_end) of one block of C's columns [jc, jc +
  // NC) against the k block at pc, op(A)'s panels already packed when pack_a;
  // B's block is packed first unless already there.
  const auto block = [&](int jc, int pc, int panel_begin, int panel_end, bool packs_b) {
    const int nc = std::min(Target::NC, rectangle.column_end - jc);
    const int b_panels = (nc + nr - 1) / nr;
    const int kc = std::min(kc_max, k - pc);
    const float block_beta = pc == 0 ? beta : 1.0f;
    const float* block_bias = pc == 0 ? epilogue.bias : nullptr;
    const bool last_block = pc + kc == k;
    for (int panel = 0; packs_b && panel < b_panels; ++panel) {
      const int j = panel * nr;
      float* sums = rectangle.sum_columns && epilogue.b_column_sums
                        ? epilogue.b_column_sums + jc + j
                        : nullptr;
      pack_b<Target, nr>(b_packed + static_cast<Index>(panel) * nr * kc, transpose_b,
                         b + op_offset(transpose_b, pc, jc + j, ldb), ldb, std::min(nr, nc - j), kc,
                         sums);
    }
    // An A panel (MR rows of A) stays in L1 while the block's packed B panels
    // stream past it from L2, as BLIS keeps the broadcast operand's
    // micro-panel in L1; its strip of C is finished as soon as its last tile
    // is, while the strip is still in cache. Each A panel is done with the
    // block once it has passed it, so rows need no cache blocking.
    for (int a_panel = panel_begin; a_panel < panel_end; ++a_panel) {
      const int i = panel_row(a_panel), rows = panel_row(a_panel + 1) - i;
      const Index packed_offset = (a_panel - panel_begin) * transposed_a_panel_stride<Target>(kc);
      const RowsOfA a_panel_rows =
          pack_a          ? RowsOfA{a_packed + packed_offset, 1, mr}
          : transpose_a   ? RowsOfA{a + op_offset(true, i, pc, lda), 1, lda}
          : copy_a_panels ? copy_rows_of_a(a_copy, a + op_offset(false, i, pc, lda), lda, rows, kc)
                          : RowsOfA{a + op_offset(false, i, pc, lda), lda, 1};
      float* c_strip = c + static_cast<Index>(i) * ldc + jc;
      for (int b_panel = 0; b_panel < b_panels; ++b_panel) {
        const int j = b_panel * nr, columns = std::min(nr, nc - j);
        const float* b_panel_data = b_packed + static_cast<Index>(b_panel) * nr * kc;
        const float* tile_bias = block_bias ? block_bias + jc + j : nullptr;
        if (vectors > 1 && columns <= Target::kWidth) {
          tile<Target, 1>(rows, columns, c_strip + j, ldc, block_beta, tile_bias, kc, a_panel_rows,
                          b_panel_data, nr);
          continue;
        }
        tile<Target, vectors>(rows, columns, c_strip + j, ldc, block_beta, tile_bias, kc,
                              a_panel_rows, b_panel_data, nr);
      }
      // Long rows keep the finishing loops vectorised.
      if (last_block && epilogue.finish) {
        epilogue.finish(epilogue.context, c_strip, ldc, i, jc, rows, nc);
      }
    }
  };
  // Every element still sums the k blocks in increasing order either way.
  // A packed A is packed once per k block, a group at a time (a_group), each
  // group for all column blocks; B's block is packed with the first group and
  // kept for the others. One read in place has its column blocks outermost: a
  // strip of C then meets its k blocks one after another, while in cache.
  if (pack_a) {
    for (int pc = 0; pc < k; pc += kc_max) {
      for (int first = 0; first < a_panels; first += a_group) {
        const int last = std::min(a_panels, first + a_group);
        pack_transposed_a<Target>(a_packed, a + op_offset(true, row_begin, pc, lda), lda, m,
                                  a_panels, first, last, std::min(kc_max, k - pc));
        for (int jc = rectangle.column_begin; jc < rectangle.column_end; jc += Target::NC) {
          block(jc, pc, first, last, first == 0);
        }
      }
    }
    return;
  }
  for (int jc = rectangle.column_begin; jc < rectangle.column_end; jc += Target::NC) {
    for (int pc = 0; pc < k; pc += kc_max) block(jc, pc, 0, a_panels, true);
  }
}

// Pieces per thread of a product: two let a late thread's share be taken by
// the others, while each still holds enough B panels to reuse every A panel
// it loads into L1 (four slowed 1024-unit layers on two threads).
inline constexpr int kProductPiecesPerThread = 2;

// How an (m, n) product is cut into pieces for `threads` threads: a grid of
// column groups (whole B panels) × row groups (whole A panels), aiming at
// kProductPiecesPerThread pieces per thread. Row groups each pack the B they
// share, which costs 1/m of their arithmetic, in exchange for no barrier
// inside the product; where A is read in place, as many column groups as
// there are B panels to give, and the remaining factor as row groups, unless
// pieces of unequal width would leave a thread idle (balanced_column_groups).
// Where A is packed too (transposed), each column group packs the A it
// shares: the grid packs least, column groups × m + row groups × n. The mnist
// net's dW of its first layer (784×256×128) cut into four column groups
// packed all of A four times, as much memory traffic as a quarter of its
// arithmetic. Only the first row group sums B's columns, so each sum has one
// author.
template <class Target>
class ProductGrid {
 public:
  ProductGrid(int m, int n, int threads, bool packs_a)
      : m_(m),
        n_(n),
        a_panels_((m + Target::MR - 1) / Target::MR),
        b_panels_((n + Target::NR - 1) / Target::NR) {
    const int pieces = threads == 1 ? 1 : threads * kProductPiecesPerThread;
    const auto row_groups_for = [&](int column_groups) {
      return std::min((pieces + column_groups - 1) / column_groups, a_panels_);
    };
    column_groups_ = std::min(pieces, b_panels_);
    if (packs_a) {
      const auto packing = [&](int column_groups) {
        return std::int64_t{column_groups} * m + std::int64_t{row_groups_for(column_groups)} * n;
      };
      for (int column_groups = 1; column_groups < std::min(pieces, b_panels_); ++column_groups) {
        if (packing(column_groups) < packing(column_groups_)) column_groups_ = column_groups;
      }
    } else if (threads <= kMaxPlannedThreads) {
      column_groups_ = balanced_column_groups(threads, row_groups_for);
    }
    row_groups_ = row_groups_for(column_groups_);
  }

  long pieces() const { return static_cast<long>(row_groups_) * column_groups_; }

  Rectangle rectangle(long piece) const {
    const int column_group = static_cast<int>(piece % column_groups_);
    const int row_group = static_cast<int>(piece / column_groups_);
    return {boundary(a_panels_, row_groups_, row_group, Target::MR, m_),
            boundary(a_panels_, row_groups_, row_group + 1, Target::MR, m_),
            boundary(b_panels_, column_groups_, column_group, Target::NR, n_),
            boundary(b_panels_, column_groups_, column_group + 1, Target::NR, n_), row_group == 0};
  }

 private:
  // Up to this many threads, grids are compared by simulating their claims
  // (finish_time), which costs pieces × threads steps per grid.
  static constexpr int kMaxPlannedThreads = 8;

  // Where group `group` of `groups` starts, in rows or columns.
  static int boundary(int panels, int groups, int group, int unit, int limit) {
    return std::min(limit,
                    static_cast<int>(static_cast<std::int64_t>(panels) * group / groups) * unit);
  }

  // Vectors of columns the micro-kernels compute for `columns` columns: whole
  // panels, then a last one of one vector if it needs no more
  // (sgemm_packed_rectangle).
  static int kernel_vectors(int columns) {
    constexpr int panel_vectors = Target::NR / Target::kWidth;
    const int tail = columns % Target::NR;
    const int tail_vectors = tail == 0 ? 0 : tail <= Target::kWidth ? 1 : panel_vectors;
    return columns / Target::NR * panel_vectors + tail_vectors;
  }

  // When the last thread finishes, each claiming the next piece in order as
  // soon as it is free (run_parallel), in rows × vectors of columns; packing
  // a piece's B panels costs about one row more.
  std::int64_t finish_time(int column_groups, int row_groups, int threads) const {
    std::int64_t free_at[kMaxPlannedThreads] = {};
    std::int64_t last = 0;
    for (int row_group = 0; row_group < row_groups; ++row_group) {
      const int rows = boundary(a_panels_, row_groups, row_group + 1, Target::MR, m_) -
                       boundary(a_panels_, row_groups, row_group, Target::MR, m_);
      for (int column_group = 0; column_group < column_groups; ++column_group) {
        const int columns = boundary(b_panels_, column_groups, column_group + 1, Target::NR, n_) -
                            boundary(b_panels_, column_groups, column_group, Target::NR, n_);
        std::int64_t* earliest = std::min_element(free_at, free_at + threads);
        *earliest += std::int64_t{kernel_vectors(columns)} * (rows + 1);
        last = std::max(last, *earliest);
      }
    }
    return last;
  }

  // The column groups (at most the default, one per B panel) whose grid
  // finishes first. A 100-unit layer's 200×100 forward product, one B panel
  // per piece, gave two threads pieces of 2, 2, 2 and 1 vectors: one ran 4
  // while the other ran 3. Two column groups of 4 and 3 vectors over two row
  // groups give each thread 3.5.
  template <class RowGroupsFor>
  int balanced_column_groups(int threads, const RowGroupsFor& row_groups_for) const {
    int best = column_groups_;
    std::int64_t best_time = finish_time(best, row_groups_for(best), threads);
    for (int column_groups = column_groups_ - 1; column_groups >= 1; --column_groups) {
      const std::int64_t time = finish_time(column_groups, row_groups_for(column_groups), threads);
      if (time < best_time) {
        best = column_groups;
        best_time = time;
      }
    }
    return best;
  }

  int m_, n_, a_panels_, b_panels_, row_groups_ = 1, column_groups_ = 1;
};

// Packs both operands: the general path. Results depend on neither the
// rectangles nor the threads (see the summation order at the top).
template <class Target>
void sgemm_packed(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a,
                  Index lda, const float* b, Index ldb, float beta, float* c, Index ldc,
                  const GemmEpilogue& epilogue) {
  const bool pack_a = transpose_a && !reads_transposed_a_in_place(m, k, lda);
  const auto compute = [&](const Rectangle& rectangle) {
    if (rectangle.row_begin >= rectangle.row_end) return;
    if (n <= Target::kWidth) {
      sgemm_packed_rectangle<Target, Target::kWidth>(transpose_a, transpose_b, pack_a, k, a, lda, b,
                                                     ldb, beta, c, ldc, epilogue, rectangle);
    } else {
      sgemm_packed_rectangle<Target>(transpose_a, transpose_b, pack_a, k, a, lda, b, ldb, beta, c,
                                     ldc, epilogue, rectangle);
    }
  };
  // A parallel region costs about a microsecond even with one thread: a
  // small product skips it altogether.
  if (std::int64_t{m} * n * k < kParallelMinWork) {
    compute({0, m, 0, n, true});
    return;
  }
  const ProductGrid<Target> grid(m, n, available_threads(), pack_a);
  parallel_pieces(grid.pieces(), [&](long piece) { compute(grid.rectangle(piece)); });
}

constexpr int power_of_two_floor(int n) {
  int power = 1;
  while (power * 2 <= n) power *= 2;
  return power;
}

// micro_kernel over a vector count known only at run time (1..MaxVectors; 2..
// with MaskFirst), the last vector masked to last_columns.
template <class Target, int Rows, int MaxVectors, bool MaskFirst = false>
FASTDNN_KERNEL_INLINE void micro_kernel_last_masked(int vectors, int last_columns, float* c,
                                                    Index ldc, float beta, const float* bias,
                                                    int kc, RowsOfA a, const float* b,
                                                    Index b_row_step,
                                                    int first_columns = Target::kWidth) {
  if constexpr (MaxVectors > (MaskFirst ? 2 : 1)) {
    if (vectors < MaxVectors) {
      micro_kernel_last_masked<Target, Rows, MaxVectors - 1, MaskFirst>(
          vectors, last_columns, c, ldc, beta, bias, kc, a, b, b_row_step, first_columns);
      return;
    }
  }
  micro_kernel<Target, Rows, MaxVectors, true, MaskFirst>(c, ldc, beta, bias, kc, a, b, b_row_step,
                                                          last_columns, first_columns);
}

// Columns of B before the first whose rows start on a vector boundary, or 0
// where B is aligned or its rows are not all aligned alike. B's rows in a
// numpy array start 16 bytes past a cache line, and every AVX-512 load of B
// then spans two lines.
template <class Target>
int columns_before_aligned(const float* b, Index ldb, int n) {
  constexpr int width = Target::kWidth;
  const auto address = reinterpret_cast<std::uintptr_t>(b);
  if (ldb % width != 0 || address % sizeof(float) != 0) return 0;
  const int offset = static_cast<int>(address / sizeof(float) % width);
  const int columns = offset == 0 ? 0 : width - offset;
  return columns < n ? columns : 0;
}

// A few rows against an untransposed B, read in place: packing B would cost
// as much as the product itself (single-row prediction). op(A) is read in
// place too: packing its rows into the (k, MR) layout wrote 14 floats per
// element read, 44 KiB for one 784-wide row.
// Rows [first_row, first_row + Rows) of C and its columns [first_column,
// first_column + n); a points at the first of the rows, b, c and the
// epilogue's bias at the first of the columns.
template <class Target, int Rows>
void sgemm_few_rows(bool transpose_a, int first_row, int first_column, int n, int k, const float* a,
                    Index lda, const float* b, Index ldb, float beta, float* c, Index ldc,
                    const GemmEpilogue& epilogue) {
  constexpr int width = Target::kWidth;
  // As many column vectors as the accumulators allow, rounded down to a power
  // of two so that chunks tile the usual layer widths: with few rows, more
  // independent FMA chains are what hides the FMA latency, and a chunk as
  // wide as a 256-unit layer reads B as one sequential stream (two chunks of
  // 128 columns, each reading half of every row, were slower on one row).
  constexpr int vectors = power_of_two_floor(std::min(16, Target::kAccumulators / Rows));
  constexpr int chunk = vectors * width;
  // Columns [0, lead) before B's first aligned column go in a masked vector
  // of the first chunk, where the accumulators allow one more (a scalar
  // target's loads are always aligned).
  constexpr bool can_lead = width > 1 && Rows * (vectors + 1) <= Target::kAccumulators;
  const int lead = can_lead ? columns_before_aligned<Target>(b, ldb, n) : 0;
  const int chunks = (n - lead + chunk - 1) / chunk;
  const int kc_step = k_block_size<Target>(k);

  const auto columns = [&](int q) {
    const int j_begin = lead + q * chunk, j_end = std::min(n, j_begin + chunk);
    // Fewer columns than a chunk go in one pass, with as many accumulators
    // as they fill, so k's chain of FMAs is paid once.
    const int tail_vectors = (j_end - j_begin + width - 1) / width;
    const int last_columns = j_end - j_begin - (tail_vectors - 1) * width;
    const bool leads = q == 0 && lead > 0;
    const int j_first = leads ? 0 : j_begin;
    for (int pc = 0; pc < k; pc += kc_step) {
      const int kc = std::min(kc_step, k - pc);
      const float block_beta = pc == 0 ? beta : 1.0f;
      const float* block_bias = pc == 0 && epilogue.bias ? epilogue.bias + j_first : nullptr;
      const RowsOfA a_block{a + op_offset(transpose_a, 0, pc, lda), transpose_a ? 1 : lda,
                            transpose_a ? lda : 1};
      const float* b_block = b + static_cast<Index>(pc) * ldb + j_first;
      float* c_block = c + j_first;
      if constexpr (can_lead) {
        if (leads) {
          micro_kernel_last_masked<Target, Rows, vectors + 1, true>(
              tail_vectors + 1, last_columns, c_block, ldc, block_beta, block_bias, kc, a_block,
              b_block, ldb, lead);
          continue;
        }
      }
      if (j_end - j_begin == chunk) {
        micro_kernel<Target, Rows, vectors>(c_block, ldc, block_beta, block_bias, kc, a_block,
                                            b_block, ldb);
        continue;
      }
      micro_kernel_last_masked<Target, Rows, vectors>(tail_vectors, last_columns, c_block, ldc,
                                                      block_beta, block_bias, kc, a_block, b_block,
                                                      ldb);
    }
  };
  for (int q = 0; q < chunks; ++q) columns(q);
  if (epilogue.finish) {
    epilogue.finish(epilogue.context, c, ldc, first_row, first_column, Rows, n);
  }
}

// sgemm_few_rows for a row count known only at run time (1..MaxRows).
template <class Target, int MaxRows>
void sgemm_few_rows_of(int rows, bool transpose_a, int first_row, int first_column, int n, int k,
                       const float* a, Index lda, const float* b, Index ldb, float beta, float* c,
                       Index ldc, const GemmEpilogue& epilogue) {
  if constexpr (MaxRows > 1) {
    if (rows < MaxRows) {
      sgemm_few_rows_of<Target, MaxRows - 1>(rows, transpose_a, first_row, first_column, n, k, a,
                                             lda, b, ldb, beta, c, ldc, epilogue);
      return;
    }
  }
  sgemm_few_rows<Target, MaxRows>(transpose_a, first_row, first_column, n, k, a, lda, b, ldb, beta,
                                  c, ldc, epilogue);
}

// Up to Target::kInPlaceRows rows against an untransposed B, read in place in
// passes of up to Target::kFewRows rows, rows shared evenly between them.
// Each pass streams B once; packing it instead reads and writes all of B,
// which for a layer too large for L2 costs more than a few passes do (the
// measurements are in docs/architecture.md, "The GEMM"). In place still led
// at 128 rows on one thread but trained no faster on two, so training
// batches' products stay packed.
template <class Target>
void sgemm_in_place(bool transpose_a, int m, int n, int k, const float* a, Index lda,
                    const float* b, Index ldb, float beta, float* c, Index ldc,
                    const GemmEpilogue& epilogue) {
  // This path never packs B: sum its rows here.
  if (epilogue.b_column_sums != nullptr) {
    for (int p = 0; p < k; ++p) {
      const float* b_row = b + static_cast<Index>(p) * ldb;
      for (int j = 0; j < n; ++j) epilogue.b_column_sums[j] += b_row[j];
    }
  }
  const int passes = (m + Target::kFewRows - 1) / Target::kFewRows;
  // The product is one job of pieces, each a group of columns over a range
  // of passes, the passes in order: a group's slice of B, read by each of
  // them, stays in cache from one to the next. Column groups go first, as
  // many as give every thread kPiecesPerThread pieces, then the passes are
  // split if there are too few columns. Five passes of 32 rows claimed
  // whole left one of two threads with three, and the mnist net trained
  // slower at batch 32 than with B packed. Groups are whole units of 4
  // vectors, the chunk of a 4- to 7-row pass on AVX-512, so that they keep
  // B's alignment.
  // Whether to share the work is the whole product's decision, as on the
  // packed path, so that 16 rows split when 16 packed rows would.
  constexpr int unit = 4 * Target::kWidth;
  const bool parallel = std::int64_t{m} * n * k >= kParallelMinWork;
  const int threads = parallel ? available_threads() : 1;
  const int wanted = threads == 1 ? 1 : threads * kPiecesPerThread;
  const int units = (n + unit - 1) / unit;
  const int groups = std::min(units, wanted);
  const int pass_ranges = std::min(passes, (wanted + groups - 1) / groups);
  const auto compute = [&](long piece) {
    const int group = static_cast<int>(piece % groups);
    const int range = static_cast<int>(piece / groups);
    const int column_begin = std::min(n, units * group / groups * unit);
    const int column_end = std::min(n, units * (group + 1) / groups * unit);
    if (column_begin >= column_end) return;
    GemmEpilogue columns = epilogue;
    if (columns.bias != nullptr) columns.bias += column_begin;
    const int pass_end = passes * (range + 1) / pass_ranges;
    for (int pass = passes * range / pass_ranges; pass < pass_end; ++pass) {
      const int first = pass * m / passes, rows = (pass + 1) * m / passes - first;
      sgemm_few_rows_of<Target, Target::kFewRows>(
          rows, transpose_a, first, column_begin, column_end - column_begin, k,
          a + op_offset(transpose_a, first, 0, lda), lda, b + column_begin, ldb, beta,
          c + static_cast<Index>(first) * ldc + column_begin, ldc, columns);
    }
  };
  // One piece (one thread) runs on the calling thread.
  parallel_pieces(static_cast<long>(groups) * pass_ranges, compute);
}

// One column of C (n = 1: the output layer of a binary classifier or of a
// one-target regressor). The packed path would spend a whole B panel on that
// column, 15 lanes of 16 on zeros. Here vectors run
// down the column instead: op(A)'s rows side by side in lanes, packed (kc,
// rows) as pack_b packs op(B), each lane accumulating a[i,p]·b[p] for
// increasing p, the order of every other path (a·b and b·a round alike).
// Rows go in groups of Vectors vectors: four chains of FMAs hide most of
// their latency, and fewer serve a product of fewer rows.
template <class Target, int Vectors>
void sgemm_one_column(bool transpose_a, bool transpose_b, int m, int k, const float* a, Index lda,
                      const float* b, Index ldb, float beta, float* c, Index ldc,
                      const GemmEpilogue& epilogue) {
  using Vector = typename Target::Vector;
  constexpr int width = Target::kWidth, vectors = Vectors, group = Vectors * width;
  const Index b_step = transpose_b ? 1 : ldb;  // op(B)[p, 0] = b[p·b_step]
  if (epilogue.b_column_sums != nullptr) {
    float sum = epilogue.b_column_sums[0];
    for (int p = 0; p < k; ++p) sum += b[p * b_step];
    epilogue.b_column_sums[0] = sum;
  }
  const int kc_step = k_block_size<Target>(k);
  const int groups = (m + group - 1) / group;
  const auto rows_of_group = [&](long begin, long end) {
    float* panel = thread_scratch(ScratchSlot::packed_a, static_cast<std::size_t>(kc_step) * group);
    for (long g = begin; g < end; ++g) {
      const int i = static_cast<int>(g) * group, rows = std::min(group, m - i);
      float* c_column = c + static_cast<Index>(i) * ldc;
      alignas(64) float column[group];  // these rows of C, contiguous
      const bool reads_c = beta != 0.0f && epilogue.bias == nullptr;
      if (reads_c) {
        for (int r = 0; r < rows; ++r) column[r] = c_column[r * ldc];
        for (int r = rows; r < group; ++r) column[r] = 0.0f;
      }
      Vector result[vectors];
      for (int v = 0; v < vectors; ++v) result[v] = Target::zero();  // k > 0 overwrites it
      for (int pc = 0; pc < k; pc += kc_step) {
        const int kc = std::min(kc_step, k - pc);
        // Row p of the panel: op(A)[i .. i + group, pc + p], read in place
        // where A's rows are already those lanes.
        const float* source = a + op_offset(transpose_a, i, pc, lda);
        Index source_step = lda;
        if (!transpose_a || rows < group) {
          pack_b<Target, group>(panel, !transpose_a, source, lda, rows, kc, nullptr);
          source = panel;
          source_step = group;
        }
        Vector sum[vectors];
        for (int v = 0; v < vectors; ++v) sum[v] = Target::zero();
        for (int p = 0; p < kc; ++p) {
          const Vector b_p = Target::broadcast(b[(pc + p) * b_step]);
          for (int v = 0; v < vectors; ++v) {
            sum[v] = Target::multiply_add(Target::load(source + p * source_step + v * width), b_p,
                                          sum[v]);
          }
        }
        // C = beta·C + block, or 1·bias + block, then 1·C + block: the
        // micro-kernel's own operations.
        for (int v = 0; v < vectors; ++v) {
          if (pc > 0) {
            result[v] = Target::multiply_add(Target::broadcast(1.0f), result[v], sum[v]);
          } else if (epilogue.bias != nullptr) {
            result[v] = Target::multiply_add(Target::broadcast(1.0f),
                                             Target::broadcast(epilogue.bias[0]), sum[v]);
          } else if (reads_c) {
            result[v] = Target::multiply_add(Target::broadcast(beta),
                                             Target::load(column + v * width), sum[v]);
          } else {
            result[v] = sum[v];
          }
        }
      }
      for (int v = 0; v < vectors; ++v) Target::store(column + v * width, result[v]);
      for (int r = 0; r < rows; ++r) c_column[r * ldc] = column[r];
      if (epilogue.finish) epilogue.finish(epilogue.context, c_column, ldc, i, 0, rows, 1);
    }
  };
  parallel_ranges(groups, std::int64_t{m} * k >= kParallelMinWork, rows_of_group);
}

template <class Target>
void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc, const GemmEpilogue& epilogue) {
  static_assert(Target::NR % Target::kWidth == 0 && Target::NC % Target::NR == 0 &&
                Target::kFewRows <= Target::MR && Target::kFewRows <= Target::kInPlaceRows);
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; ++i) {
      float* c_row = c + static_cast<Index>(i) * ldc;
      for (int j = 0; j < n; ++j) {
        c_row[j] = epilogue.bias ? epilogue.bias[j] : beta == 0.0f ? 0.0f : beta * c_row[j];
      }
    }
    if (epilogue.finish) epilogue.finish(epilogue.context, c, ldc, 0, 0, m, n);
    return;
  }
  if (n == 1) {
    const auto one_column = m <= Target::kWidth       ? sgemm_one_column<Target, 1>
                            : m <= 2 * Target::kWidth ? sgemm_one_column<Target, 2>
                                                      : sgemm_one_column<Target, 4>;
    return one_column(transpose_a, transpose_b, m, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  }
  if (!transpose_b && m <= Target::kInPlaceRows) {
    return sgemm_in_place<Target>(transpose_a, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
  }
  sgemm_packed<Target>(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, epilogue);
}

}  // namespace blocked
}  // namespace fastdnn::backend
