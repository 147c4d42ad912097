#pragma once

// The bf16 product shared by every bf16 kernel (bf16_gemm.h): op(A) and op(B)
// are converted to bfloat16 once each, into the layouts AMX tiles load as
// they are, and a Target's block function computes one 32 × 32 block of C
// from them; the epilogue is applied here, in float32.
//
// Packed op(A): tiles of 16 rows; each tile is k_chunks chunks of 32 columns
// of k, 16 rows × 64 bytes each (an AMX A tile). Packed op(B): blocks of 16
// columns; each block is k_chunks chunks of 16 pairs of rows of k, every pair
// 16 columns × 2 values, 64 bytes (an AMX B tile, and one operand of
// VDPBF16PS, which takes a pair of k per 32-bit lane). Rows, columns and k are
// padded with zeros to whole tiles and pairs of blocks, so the kernels have no
// edge code; a zero adds nothing to a float32 sum.
//
// Each element's sum runs over the whole padded k inside the block function,
// in an order the Target fixes, from zero: nothing in it depends on m, on the
// block an element falls in or on the threads, which split blocks only.
//
// A Target provides:
//   kVectorPacking, and if true, for every piece (see pack_a and pack_b),
//   each writing its whole destination, zeros past the given extents:
//     static void convert_chunk(const float* source, int count, uint16_t* destination);
//       destination[s] ← source[s], s < count ≤ 32
//     static void transpose_a_chunk(const float* source, Index ld, int rows, int depth,
//                                   uint16_t* destination);
//       destination[r·32 + p] ← source[p·ld + r], r < rows ≤ 16, p < depth ≤ 32
//     static void interleave_rows(const float* even, const float* odd, int columns,
//                                 uint16_t* destination);
//       destination[2c], [2c + 1] ← even[c], odd[c] (0 if odd is null), c < columns ≤ 16
//     static void transpose_b_chunk(const float* source, Index ld, int columns, int depth,
//                                   uint16_t* destination);
//       destination[(p / 2)·32 + 2c + p % 2] ← source[c·ld + p], c < columns ≤ 16,
//       p < depth ≤ 32
//   static void begin(), end();   around a thread's blocks (AMX's tile state)
//   kPanels, and either
//   static void block(int rows, const uint16_t* a, Index a_tile_stride,
//                     const uint16_t* b, Index b_block_stride, int k_chunks,
//                     float* out);
//     out (32 × 32, row stride 32) ← the sums of rows [0, rows) (rows ≤ 32:
//     the first tile at a, the second a_tile_stride after it) by the two
//     column blocks at b and b + b_block_stride. Rows of out past `rows`
//     may hold anything. Or, with kPanels,
//   static void panel(..., float* scratch, float* out, Index out_stride),
//     the same arguments, a scratch like block's out for partial sums, and
//     out's row stride: rows ≤ 16·kGroupTiles, and out (rows rounded up to
//     32, × 32) ← all of them, in any order of blocks and of k's chunks,
//     each element's sum in the order above. out may be C itself, where C
//     takes the sums as they are.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/bf16_gemm.h"
#include "kernels/parallel.h"
#include "kernels/thread_scratch.h"

// Everything is internal to each translation unit that includes it, as in
// gemm_blocked.h: a copy built with one kernel's instruction flags must never
// be linked into another kernel's path.
namespace fastdnn::backend::bf16_blocked {
namespace {

using Index = std::ptrdiff_t;
using Bf16 = uint16_t;

inline constexpr int kTileRows = 16;    // rows of an A tile
inline constexpr int kChunk = 32;       // k per tile: 64 bytes of bf16
inline constexpr int kBlockWidth = 16;  // columns of a B tile
inline constexpr int kTileElements = kTileRows * kChunk;
// Row tiles per piece of work: up to 256 rows by a pair of column blocks.
inline constexpr int kGroupTiles = 16;
// Pairs of column blocks a product with one group of rows packs at a time:
// their rows of op(B) are read a few cache lines at once, and their packed
// values stay in L2 until read.
inline constexpr int kPairsPackedAtOnce = 4;

// value rounded to the nearest bfloat16, ties to even; NaN stays NaN.
inline Bf16 to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<Bf16>((bits >> 16) | 0x40u);
  return static_cast<Bf16>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

inline float to_float(Bf16 value) {
  const uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof result);
  return result;
}

// Zeros where a packed tile of A or block of B (k_chunks chunks) lies past
// op(A)'s rows or op(B)'s columns (`lines` of the 16 are real) or past k:
// the whole of it in the first case, only its last chunk in the second, which
// the packing then fills up to k.
inline void zero_padding(Bf16* packed, int lines, int k, int k_chunks) {
  const Index chunk_bytes = kTileElements * static_cast<Index>(sizeof(Bf16));
  if (lines < kTileRows) {
    std::memset(packed, 0, k_chunks * chunk_bytes);
  } else if (k < k_chunks * kChunk) {
    std::memset(packed + static_cast<Index>(k_chunks - 1) * kTileElements, 0, chunk_bytes);
  }
}

// Pieces go through the Target's vector conversions where it has them
// (kVectorPacking), element by element here on a Target without them. Both
// round alike (to_bf16), but for subnormals, which the vector conversions
// flush to zero.

// Tiles [first_tile, last_tile) of packed op(A), op(A) being (m, k).
template <class Target>
void pack_a(Bf16* packed, bool transpose_a, const float* a, Index lda, int m, int k, int k_chunks,
            int first_tile, int last_tile) {
  const Index tile_stride = static_cast<Index>(k_chunks) * kTileElements;
  const int row_end = std::min(m, last_tile * kTileRows);
  for (int tile = first_tile; tile < last_tile; ++tile) {
    zero_padding(packed + tile * tile_stride, m - tile * kTileRows, k, k_chunks);
  }
  if (!transpose_a) {
    for (int i = first_tile * kTileRows; i < row_end; ++i) {
      const float* source = a + i * lda;
      Bf16* row = packed + (i / kTileRows) * tile_stride + (i % kTileRows) * kChunk;
      for (int q = 0; q * kChunk < k; ++q) {
        Bf16* destination = row + q * kTileElements;
        const int count = std::min(kChunk, k - q * kChunk);
        if constexpr (Target::kVectorPacking) {
          Target::convert_chunk(source + q * kChunk, count, destination);
          continue;
        }
        for (int s = 0; s < count; ++s) destination[s] = to_bf16(source[q * kChunk + s]);
      }
    }
    return;
  }
  // op(A)[i, p] = A[p, i]: a tile's chunk is a 32 × 16 block of A, transposed.
  // Chunks outermost: each of A's rows is read along its length, across the
  // tiles, rather than one cache line per row and page per tile.
  for (int q = 0; q < k_chunks; ++q) {
    const int depth = std::min(kChunk, k - q * kChunk);
    for (int tile = first_tile; tile < last_tile; ++tile) {
      const int row_begin = tile * kTileRows;
      const int rows = std::min(kTileRows, m - row_begin);
      Bf16* destination = packed + tile * tile_stride + q * kTileElements;
      const float* source = a + static_cast<Index>(q) * kChunk * lda + row_begin;
      if constexpr (Target::kVectorPacking) {
        Target::transpose_a_chunk(source, lda, rows, depth, destination);
        continue;
      }
      for (int p = 0; p < depth; ++p) {
        for (int r = 0; r < rows; ++r) destination[r * kChunk + p] = to_bf16(source[p * lda + r]);
      }
    }
  }
}

// Column blocks [first_block, last_block) of packed op(B), op(B) being (k, n),
// the first at `packed`.
template <class Target>
void pack_b(Bf16* packed, bool transpose_b, const float* b, Index ldb, int k, int n, int k_chunks,
            int first_block, int last_block) {
  const Index block_stride = static_cast<Index>(k_chunks) * kTileElements;
  const auto block_at = [&](int block) { return packed + (block - first_block) * block_stride; };
  for (int block = first_block; block < last_block; ++block) {
    zero_padding(block_at(block), n - block * kBlockWidth, k, k_chunks);
  }
  if (!transpose_b) {
    // Pair of rows p: op(B)'s rows 2p and 2p + 1, interleaved. Pairs
    // outermost: each row of B is read along its length, across the blocks,
    // rather than one cache line per row and page per block.
    for (int pair = 0; 2 * pair < k; ++pair) {
      const float* even_row = b + static_cast<Index>(2 * pair) * ldb;
      const bool has_odd = 2 * pair + 1 < k;
      for (int block = first_block; block < last_block; ++block) {
        const int column_begin = block * kBlockWidth;
        const int columns = std::clamp(n - column_begin, 0, kBlockWidth);
        const float* even = even_row + column_begin;
        Bf16* out = block_at(block) + pair * 2 * kBlockWidth;
        if constexpr (Target::kVectorPacking) {
          if (columns > 0)
            Target::interleave_rows(even, has_odd ? even + ldb : nullptr, columns, out);
          continue;
        }
        for (int c = 0; c < columns; ++c) out[2 * c] = to_bf16(even[c]);
        if (has_odd) {
          for (int c = 0; c < columns; ++c) out[2 * c + 1] = to_bf16(even[ldb + c]);
        }
      }
    }
    return;
  }
  // op(B)[p, j] = B[j, p]: a chunk is 16 rows of B over 32 of its columns,
  // transposed a pair of columns at a time.
  for (int block = first_block; block < last_block; ++block) {
    Bf16* destination = block_at(block);
    const int column_begin = block * kBlockWidth;
    const int columns = std::clamp(n - column_begin, 0, kBlockWidth);
    for (int q = 0; q < k_chunks; ++q) {
      Bf16* out = destination + q * kTileElements;
      const float* source = b + static_cast<Index>(column_begin) * ldb + q * kChunk;
      const int depth = std::min(kChunk, k - q * kChunk);
      if constexpr (Target::kVectorPacking) {
        if (columns > 0) Target::transpose_b_chunk(source, ldb, columns, depth, out);
        continue;
      }
      for (int c = 0; c < columns; ++c) {
        for (int p = 0; p < depth; ++p) {
          out[(p / 2) * 2 * kBlockWidth + 2 * c + p % 2] = to_bf16(source[c * ldb + p]);
        }
      }
    }
  }
}

// b_column_sums (n) += Σ_p op(B)[p, j] in float32, for increasing p: the sums
// sgemm_fused's epilogue gives.
inline void add_column_sums(float* sums, bool transpose_b, const float* b, Index ldb, int k,
                            int n) {
  if (!transpose_b) {
    for (int p = 0; p < k; ++p) {
      const float* row = b + static_cast<Index>(p) * ldb;
      for (int j = 0; j < n; ++j) sums[j] += row[j];
    }
    return;
  }
  for (int j = 0; j < n; ++j) {
    const float* column = b + static_cast<Index>(j) * ldb;
    float sum = sums[j];
    for (int p = 0; p < k; ++p) sum += column[p];
    sums[j] = sum;
  }
}

inline int k_chunks_of(int k) {
  return (std::max(k, 0) + kChunk - 1) / kChunk;
}
inline int column_blocks_of(int n) {
  return (n + 2 * kBlockWidth - 1) / (2 * kBlockWidth) * 2;
}

// Every column block of packed op(B) into `packed`, the threads sharing them
// when `parallel`.
template <class Target>
void pack_all_of_b(Bf16* packed, bool transpose_b, const float* b, Index ldb, int k, int n,
                   bool parallel) {
  const int k_chunks = k_chunks_of(k);
  const Index stride = static_cast<Index>(k_chunks) * kTileElements;
  parallel_ranges(column_blocks_of(n), parallel, [&](long first, long last) {
    pack_b<Target>(packed + first * stride, transpose_b, b, ldb, k, n, k_chunks,
                   static_cast<int>(first), static_cast<int>(last));
  });
}

// packed op(B), (k, n), whole: the bf16 values gemm packs from b, which do not
// depend on m, so a product given them computes the same bits.
template <class Target>
AlignedVector<Bf16> pack_whole_b(bool transpose_b, int k, int n, const float* b, Index ldb) {
  n = std::max(n, 0);
  AlignedVector<Bf16> packed(static_cast<std::size_t>(column_blocks_of(n)) * k_chunks_of(k) *
                             kTileElements);
  pack_all_of_b<Target>(packed.data(), transpose_b, b, ldb, k, n,
                        std::int64_t{n} * std::max(k, 1) >= kParallelMinWork);
  return packed;
}

// With b_prepacked (pack_whole_b's values for this op(B)), b is not read and
// the epilogue may not ask for b_column_sums.
template <class Target>
void gemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float* a, Index lda,
          const float* b, Index ldb, float beta, float* c, Index ldc, const GemmEpilogue& epilogue,
          const Bf16* b_prepacked = nullptr) {
  if (m <= 0 || n <= 0) return;
  if (epilogue.b_column_sums != nullptr) {
    add_column_sums(epilogue.b_column_sums, transpose_b, b, ldb, k, n);
  }
  const int k_chunks = k_chunks_of(k);
  const int row_tiles = (m + kTileRows - 1) / kTileRows;
  const int column_blocks = column_blocks_of(n);
  const Index stride = static_cast<Index>(k_chunks) * kTileElements;
  // bf16 pairs in the float-sized scratch; at least one, so the pointers are real.
  auto* a_packed = reinterpret_cast<Bf16*>(thread_scratch(
      ScratchSlot::bf16_packed_a, static_cast<std::size_t>(row_tiles * stride / 2 + 1)));
  const bool parallel = std::int64_t{m} * n * std::max(k, 1) >= kParallelMinWork;
  parallel_ranges(row_tiles, parallel, [&](long first, long last) {
    pack_a<Target>(a_packed, transpose_a, a, lda, m, k, k_chunks, static_cast<int>(first),
                   static_cast<int>(last));
  });
  const int row_groups = (row_tiles + kGroupTiles - 1) / kGroupTiles;
  const int column_pairs = column_blocks / 2;
  // With one group of rows (a minibatch's forward and input-gradient
  // products), each pair of B blocks is read once: each thread packs a few
  // pairs at a time, just before their tiles read them from cache, rather
  // than the whole of op(B) going out to memory and back.
  const bool pack_as_read = b_prepacked == nullptr && row_groups == 1;
  const Bf16* b_packed = b_prepacked;
  if (b_packed == nullptr && !pack_as_read) {
    auto* scratch = reinterpret_cast<Bf16*>(thread_scratch(
        ScratchSlot::bf16_packed_b, static_cast<std::size_t>(column_blocks * stride / 2 + 1)));
    pack_all_of_b<Target>(scratch, transpose_b, b, ldb, k, n, parallel);
    b_packed = scratch;
  }
  // Each piece reads its group of A tiles and its pair of B blocks whole. A
  // thread's contiguous range of pieces goes through one of the operands once
  // and through the other once per piece of the first: the smaller operand,
  // the one more likely to stay in cache, is the one gone through repeatedly.
  const bool rows_outermost = row_tiles > column_blocks;
  parallel_ranges(
      static_cast<long>(row_groups) * column_pairs, parallel, [&](long first, long last) {
        Target::begin();
        constexpr int width = 2 * kBlockWidth;
        alignas(64) float sums[kGroupTiles * kTileRows * width];
        Bf16* own_pairs = nullptr;
        long own_first = 0, own_last = 0;  // the pairs own_pairs holds
        if (pack_as_read) {
          own_pairs = reinterpret_cast<Bf16*>(
              thread_scratch(ScratchSlot::bf16_packed_b,
                             static_cast<std::size_t>(kPairsPackedAtOnce * stride + 1)));
        }
        for (long piece = first; piece < last; ++piece) {
          const int row_group =
              static_cast<int>(rows_outermost ? piece / column_pairs : piece % row_groups);
          const int column_pair =
              static_cast<int>(rows_outermost ? piece % column_pairs : piece / row_groups);
          const int row = row_group * kGroupTiles * kTileRows, column = column_pair * width;
          const int rows = std::min(kGroupTiles * kTileRows, m - row);
          const int columns = std::min(width, n - column);
          const Bf16* a_group = a_packed + row_group * kGroupTiles * stride;
          const Bf16* b_pair;
          if (pack_as_read) {
            if (column_pair >= own_last) {  // a range of pairs, in order (one group of rows)
              own_first = column_pair;
              own_last = std::min(last, own_first + kPairsPackedAtOnce);
              pack_b<Target>(own_pairs, transpose_b, b, ldb, k, n, k_chunks,
                             static_cast<int>(2 * own_first), static_cast<int>(2 * own_last));
            }
            b_pair = own_pairs + 2 * (column_pair - own_first) * stride;
          } else {
            b_pair = b_packed + 2 * column_pair * stride;
          }
          float* c_block = c + row * ldc + column;
          if constexpr (Target::kPanels) {
            // Whole tiles whose sums are C's values as they are go straight
            // into C: the same float32 values, without a second pass over
            // them through the scratch.
            if (epilogue.bias == nullptr && beta == 0.0f && columns == width &&
                rows % kTileRows == 0) {
              Target::panel(rows, a_group, stride, b_pair, stride, k_chunks, sums, c_block, ldc);
              if (epilogue.finish) {
                epilogue.finish(epilogue.context, c_block, ldc, row, column, rows, columns);
              }
              continue;
            }
            Target::panel(rows, a_group, stride, b_pair, stride, k_chunks, sums, sums, width);
          } else {
            for (int first_row = 0; first_row < rows; first_row += 2 * kTileRows) {
              Target::block(std::min(2 * kTileRows, rows - first_row),
                            a_group + first_row / kTileRows * stride, stride, b_pair, stride,
                            k_chunks, sums + first_row * width);
            }
          }
          for (int r = 0; r < rows; ++r) {
            float* c_row = c_block + r * ldc;
            const float* sum = sums + r * width;
            if (epilogue.bias != nullptr) {
              const float* bias = epilogue.bias + column;
              for (int j = 0; j < columns; ++j) c_row[j] = bias[j] + sum[j];
            } else if (beta == 0.0f) {
              std::memcpy(c_row, sum, columns * sizeof(float));
            } else {
              for (int j = 0; j < columns; ++j) c_row[j] = beta * c_row[j] + sum[j];
            }
          }
          if (epilogue.finish) {
            epilogue.finish(epilogue.context, c_block, ldc, row, column, rows, columns);
          }
        }
        Target::end();
      });
}

}  // namespace
}  // namespace fastdnn::backend::bf16_blocked
