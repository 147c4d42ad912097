#pragma once

// The packing conversions of bf16_gemm_blocked.h with AVX512-BF16's
// VCVTNE2PS2BF16 (round to nearest even, subnormals flushed) and masked loads
// for the pieces at the edges, for the
// translation units built with -mavx512bf16: the AVX512-BF16 and AMX kernels
// (every CPU with AMX-BF16 has AVX512-BF16).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace fastdnn::backend::bf16_blocked {
namespace {

struct Avx512Packing {
  static constexpr bool kVectorPacking = true;

  // The first `count` (≤ 16) floats at source, zeros after them: a masked
  // load, which reads nothing past them.
  static __m512 load(const float* source, int count) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), source);
  }
  // `count` (≤ 32) floats as 32 bf16, in order, zeros after them.
  static __m512i convert(const float* source, int count) {
    const int low = std::min(count, 16);
    const __m512 high = count > 16 ? load(source + 16, count - 16) : _mm512_setzero_ps();
    return (__m512i)_mm512_cvtne2ps_pbh(high, load(source, low));
  }
  // even[c], odd[c] side by side, c < columns (≤ 16): 16 32-bit pairs, zeros
  // after them; no odd row reads as zeros.
  static __m512i interleave(const float* even, const float* odd, int columns) {
    const __m512 odd_values = odd != nullptr ? load(odd, columns) : _mm512_setzero_ps();
    const __m512i halves = (__m512i)_mm512_cvtne2ps_pbh(odd_values, load(even, columns));
    const __m512i order =
        _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(order, halves);
  }
  // rows[i] 32-bit element j ↔ rows[j] element i: 32-bit then 64-bit
  // interleaves, then two rounds of 128-bit lane shuffles.
  static void transpose(__m512i rows[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_epi32(rows[i], rows[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(rows[i], rows[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
      rows[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
      rows[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
      rows[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
      rows[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int half = 0; half < 16; half += 8) {
      for (int i = 0; i < 4; ++i) {
        t[half + i] = _mm512_shuffle_i32x4(rows[half + i], rows[half + i + 4], 0x88);
        t[half + i + 4] = _mm512_shuffle_i32x4(rows[half + i], rows[half + i + 4], 0xdd);
      }
    }
    for (int i = 0; i < 8; ++i) {
      rows[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
      rows[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
  }

  static void convert_chunk(const float* source, int count, uint16_t* destination) {
    _mm512_storeu_si512(destination, convert(source, count));
  }
  static void interleave_rows(const float* even, const float* odd, int columns,
                              uint16_t* destination) {
    _mm512_storeu_si512(destination, interleave(even, odd, columns));
  }
  // Pair s of A's rows (p = 2s, 2s + 1 < depth) gives row r (< rows) of the
  // tile its 32-bit element s.
  static void transpose_a_chunk(const float* source, std::ptrdiff_t ld, int rows, int depth,
                                uint16_t* destination) {
    __m512i pairs[16];
    for (int s = 0; s < 16; ++s) {
      pairs[s] = 2 * s < depth
                     ? interleave(source + 2 * s * ld,
                                  2 * s + 1 < depth ? source + (2 * s + 1) * ld : nullptr, rows)
                     : _mm512_setzero_si512();
    }
    transpose(pairs);
    for (int r = 0; r < 16; ++r) _mm512_storeu_si512(destination + r * 32, pairs[r]);
  }
  // Row c (< columns) of B, its first `depth` values converted, holds column
  // c's 16 pairs of k.
  static void transpose_b_chunk(const float* source, std::ptrdiff_t ld, int columns, int depth,
                                uint16_t* destination) {
    __m512i rows[16];
    for (int c = 0; c < 16; ++c) {
      rows[c] = c < columns ? convert(source + c * ld, depth) : _mm512_setzero_si512();
    }
    transpose(rows);
    for (int s = 0; s < 16; ++s) _mm512_storeu_si512(destination + s * 32, rows[s]);
  }
};

}  // namespace
}  // namespace fastdnn::backend::bf16_blocked
