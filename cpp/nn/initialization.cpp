#include "nn/initialization.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "kernels/arena_pass.h"
#include "kernels/random.h"

namespace fastdnn {

namespace {

constexpr double two_pi = 6.283185307179586476925;

// Layer l's weights draw from counter (initialization, 2l), its biases from
// (initialization, 2l + 1): the layout scikit-learn mode has always used.
uint64_t weight_counter(int layer) {
  return stream_counter(RandomStream::initialization, static_cast<uint32_t>(2 * layer));
}
uint64_t bias_counter(int layer) {
  return stream_counter(RandomStream::initialization, static_cast<uint32_t>(2 * layer + 1));
}

// U(−bound, bound) from words 0–1 of a block.
double uniform_from_block(const PhiloxBlock& block, double bound) {
  return (2.0 * uniform_double_from_bits(block.word[0], block.word[1]) - 1.0) * bound;
}

// N(0, 1) by Box–Muller from words 0–2 of a block: radius from a 53-bit
// uniform in (0, 1] (never log 0), angle from 32 bits. Word 3 is left for
// the sparse scheme's choice of inputs.
double normal_from_block(const PhiloxBlock& block) {
  const double u = 1.0 - uniform_double_from_bits(block.word[0], block.word[1]);
  const double angle = two_pi * (static_cast<double>(block.word[2]) * 0x1.0p-32);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(angle);
}

// out[i] = value(block i of the stream) for i in [0, n). The blocks are made
// in bulk, sixteen counters at a time (random.h), where one call per element
// spent most of a 784-256-256-10 net's initialization in Philox's serial
// rounds; a block depends on its counter alone, so any split over threads
// gives the same weights.
template <class Value>
void fill_from_blocks(float* out, long n, uint64_t seed, uint64_t counter_high,
                      const Value& value) {
  arena_pass(n, [&](long begin, long end) {
    constexpr long kBlocks = 256;
    uint32_t words[4 * kBlocks];
    for (long first = begin; first < end; first += kBlocks) {
      const long count = std::min(kBlocks, end - first);
      philox4x32_blocks(seed, counter_high, static_cast<uint64_t>(first), count, words);
      for (long i = 0; i < count; ++i) {
        PhiloxBlock block;
        std::memcpy(block.word, words + 4 * i, sizeof block.word);
        out[first + i] = static_cast<float>(value(block));
      }
    }
  });
}

void fill_uniform(float* out, long n, double bound, uint64_t seed, uint64_t counter_high) {
  fill_from_blocks(out, n, seed, counter_high,
                   [bound](const PhiloxBlock& block) { return uniform_from_block(block, bound); });
}

void fill_normal(float* out, long n, double std, uint64_t seed, uint64_t counter_high) {
  fill_from_blocks(out, n, seed, counter_high,
                   [std](const PhiloxBlock& block) { return std * normal_from_block(block); });
}

// weight (fan_in,fan_out) ← a Gaussian matrix made orthonormal along its
// shorter side by modified Gram–Schmidt, run twice ("twice is enough",
// Giraud et al. 2005) in double. Gram–Schmidt's R has a positive diagonal, so
// this is QR with the sign fix of Mezzadri (2007): Q is uniformly (Haar)
// distributed, as PyTorch's orthogonal_ draws it.
void fill_orthogonal(float* weight, int fan_in, int fan_out, uint64_t seed, uint64_t counter_high) {
  const bool columns = fan_in >= fan_out;
  const int n_vectors = columns ? fan_out : fan_in;
  const int length = columns ? fan_in : fan_out;
  // vectors (n_vectors,length): column j of the weight is vector j, or row i is vector i.
  std::vector<double> vectors(static_cast<size_t>(n_vectors) * length);
  for (int i = 0; i < fan_in; ++i) {
    for (int j = 0; j < fan_out; ++j) {
      const long element = static_cast<long>(i) * fan_out + j;
      const double value =
          normal_from_block(philox4x32(seed, counter_high, static_cast<uint64_t>(element)));
      vectors[columns ? static_cast<size_t>(j) * length + i : static_cast<size_t>(element)] = value;
    }
  }
  for (int v = 0; v < n_vectors; ++v) {
    double* current = vectors.data() + static_cast<size_t>(v) * length;
    for (int pass = 0; pass < 2; ++pass) {
      for (int u = 0; u < v; ++u) {
        const double* previous = vectors.data() + static_cast<size_t>(u) * length;
        const double projection = std::inner_product(current, current + length, previous, 0.0);
        for (int k = 0; k < length; ++k) current[k] -= projection * previous[k];
      }
    }
    const double norm = std::sqrt(std::inner_product(current, current + length, current, 0.0));
    for (int k = 0; k < length; ++k) current[k] /= norm;
  }
  for (int i = 0; i < fan_in; ++i) {
    for (int j = 0; j < fan_out; ++j) {
      const size_t element = static_cast<size_t>(i) * fan_out + j;
      weight[element] =
          static_cast<float>(vectors[columns ? static_cast<size_t>(j) * length + i : element]);
    }
  }
}

// Each unit j gets min(sparse_init_connections, fan_in) distinct inputs,
// chosen by a partial Fisher–Yates shuffle: the s-th choice takes block
// (s, j)'s word 3 for the index and words 0–2 for its N(0, 1) weight.
void fill_sparse(float* weight, int fan_in, int fan_out, uint64_t seed, uint64_t counter_high) {
  std::fill(weight, weight + static_cast<long>(fan_in) * fan_out, 0.0f);
  const int connections = std::min(sparse_init_connections, fan_in);
  std::vector<int> inputs(fan_in);
  for (int j = 0; j < fan_out; ++j) {
    std::iota(inputs.begin(), inputs.end(), 0);
    for (int s = 0; s < connections; ++s) {
      const long element = static_cast<long>(s) * fan_out + j;
      const PhiloxBlock block = philox4x32(seed, counter_high, static_cast<uint64_t>(element));
      // Lemire's multiply-shift maps 32 bits onto [0, fan_in − s).
      const int pick =
          s + static_cast<int>((static_cast<uint64_t>(block.word[3]) * (fan_in - s)) >> 32);
      std::swap(inputs[s], inputs[pick]);
      weight[static_cast<long>(inputs[s]) * fan_out + j] =
          static_cast<float>(normal_from_block(block));
    }
  }
}

}  // namespace

void initialize_dense(float* weight, float* bias, int fan_in, int fan_out, WeightInit init,
                      double scikit_learn_factor, uint64_t seed, int layer) {
  const long n_weights = static_cast<long>(fan_in) * fan_out;
  const uint64_t counter = weight_counter(layer);
  const double fans = fan_in + fan_out;
  if (init != WeightInit::scikit_learn) std::fill(bias, bias + fan_out, 0.0f);
  switch (init) {
    case WeightInit::scikit_learn: {
      const double bound = std::sqrt(scikit_learn_factor / fans);
      fill_uniform(weight, n_weights, bound, seed, counter);
      return fill_uniform(bias, fan_out, bound, seed, bias_counter(layer));
    }
    case WeightInit::glorot_uniform:
      return fill_uniform(weight, n_weights, std::sqrt(6.0 / fans), seed, counter);
    case WeightInit::glorot_normal:
      return fill_normal(weight, n_weights, std::sqrt(2.0 / fans), seed, counter);
    case WeightInit::he_uniform:
      return fill_uniform(weight, n_weights, std::sqrt(6.0 / fan_in), seed, counter);
    case WeightInit::he_normal:
      return fill_normal(weight, n_weights, std::sqrt(2.0 / fan_in), seed, counter);
    case WeightInit::lecun_uniform:
      return fill_uniform(weight, n_weights, std::sqrt(3.0 / fan_in), seed, counter);
    case WeightInit::lecun_normal:
      return fill_normal(weight, n_weights, std::sqrt(1.0 / fan_in), seed, counter);
    case WeightInit::orthogonal:
      return fill_orthogonal(weight, fan_in, fan_out, seed, counter);
    case WeightInit::normal:
      return fill_normal(weight, n_weights, 0.01, seed, counter);
    case WeightInit::sparse:
      return fill_sparse(weight, fan_in, fan_out, seed, counter);
  }
}

}  // namespace fastdnn
