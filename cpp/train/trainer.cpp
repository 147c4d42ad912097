#include "train/trainer.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "kernels/random.h"
#include "kernels/thread_count.h"
#include "optim/adam.h"
#include "optim/sgd.h"

namespace fastdnn {

Solver solver_from_name(const std::string& name) {
  if (name == "sgd") return Solver::sgd;
  if (name == "adam") return Solver::adam;
  throw std::invalid_argument("unknown solver '" + name + "'");
}

Trainer::Trainer(Network& network, const TrainerOptions& options)
    : network_(network),
      options_(options),
      backpropagation_(network, options.loss),
      gradient_(network.n_parameters(), 0.0f) {
  const int n_states = options.solver == Solver::adam ? 2 : 1;
  optimizer_state_.assign(n_states, AlignedVector<float>(network.n_parameters(), 0.0f));
}

namespace {

// Fisher–Yates driven by Philox keyed by (seed, epoch): the permutation is a
// pure function of the two, whatever ran before.
void shuffled_order(AlignedVector<int64_t>& order, uint64_t seed, uint64_t epoch) {
  std::iota(order.begin(), order.end(), int64_t{0});
  const uint64_t counter_high =
      stream_counter(RandomStream::shuffling, static_cast<uint32_t>(epoch)) ^ ((epoch >> 32) << 40);
  for (size_t i = order.size(); i-- > 1;) {
    const PhiloxBlock block = philox4x32(seed, counter_high, i);
    const double u = uniform_double_from_bits(block.word[0], block.word[1]);
    std::swap(order[i], order[static_cast<size_t>(u * static_cast<double>(i + 1))]);
  }
}

void gather_matrix_rows(float* out, const float* matrix, int columns, const int64_t* order,
                        int count) {
  for (int i = 0; i < count; ++i) {
    const float* row = matrix + order[i] * columns;
    std::copy(row, row + columns, out + static_cast<long>(i) * columns);
  }
}

}  // namespace

double Trainer::train_epoch(const Dataset& data, const float* targets, const float* sample_weight,
                            int batch_size, bool shuffle, uint64_t seed, uint64_t epoch,
                            const double* learning_rates) {
  const ThreadCountScope threads(options_.n_threads);
  const long n_samples = data.n_samples();
  if (data.n_features() != network_.n_inputs()) {
    throw std::invalid_argument("X has " + std::to_string(data.n_features()) +
                                " features, but the network expects " +
                                std::to_string(network_.n_inputs()));
  }
  if (n_samples == 0) throw std::invalid_argument("no samples to train on");
  if (batch_size <= 0) throw std::invalid_argument("batch_size must be positive");
  batch_size = static_cast<int>(std::min<long>(batch_size, n_samples));
  const int n_inputs = network_.n_inputs();
  const int n_outputs = network_.n_outputs();

  // Grows once per fit (or when a later partial_fit brings a bigger batch).
  backpropagation_.reserve(batch_size);
  batch_inputs_.resize(static_cast<size_t>(batch_size) * n_inputs);
  batch_targets_.resize(static_cast<size_t>(batch_size) * n_outputs);
  batch_weights_.resize(batch_size);
  if (options_.collect_statistics) statistics_.reset(network_, options_.collect_histograms);
  const long n_batches = (n_samples + batch_size - 1) / batch_size;
  const long statistics_stride = (n_batches + kStatisticsBatches - 1) / kStatisticsBatches;
  batches_done_.store(0, std::memory_order_relaxed);
  batches_in_epoch_.store(n_batches, std::memory_order_relaxed);
  noise_seed_ = seed;
  if (shuffle) {
    order_.resize(n_samples);
    shuffled_order(order_, seed, epoch);
  }

  double accumulated_loss = 0.0;
  for (long first = 0, batch = 0; first < n_samples; first += batch_size, ++batch) {
    if (learning_rates != nullptr) options_.learning_rate = learning_rates[batch];
    const int rows = static_cast<int>(std::min<long>(batch_size, n_samples - first));
    const float* inputs;
    const float* batch_targets;
    const float* batch_weights = nullptr;
    if (shuffle) {
      const int64_t* batch_order = order_.data() + first;
      data.gather_rows(batch_inputs_.data(), batch_order, rows);
      gather_matrix_rows(batch_targets_.data(), targets, n_outputs, batch_order, rows);
      inputs = batch_inputs_.data();
      batch_targets = batch_targets_.data();
      if (sample_weight != nullptr) {
        for (int i = 0; i < rows; ++i) batch_weights_[i] = sample_weight[batch_order[i]];
        batch_weights = batch_weights_.data();
      }
    } else {
      inputs = data.contiguous_rows(first, rows, batch_inputs_.data());
      batch_targets = targets + first * n_outputs;
      if (sample_weight != nullptr) batch_weights = sample_weight + first;
    }
    const bool collect = options_.collect_statistics && batch % statistics_stride == 0;
    accumulated_loss += train_batch(inputs, batch_targets, batch_weights, rows, collect) * rows;
    batches_done_.store(batch + 1, std::memory_order_relaxed);
  }
  return accumulated_loss / static_cast<double>(n_samples);
}

double Trainer::train_batch(const float* inputs, const float* targets, const float* sample_weight,
                            int rows, bool collect_statistics) {
  double weight_sum = rows;
  if (sample_weight != nullptr) {
    weight_sum = 0.0;
    for (int i = 0; i < rows; ++i) weight_sum += sample_weight[i];
  }
  std::fill(gradient_.begin(), gradient_.end(), 0.0f);
  // Dropout masks and input noise: one draw per optimizer step.
  NoiseKey noise;
  noise.seed = noise_seed_;
  noise.step = static_cast<uint64_t>(step_);
  double loss = backpropagation_.accumulate_gradient(network_, gradient_.data(), inputs, targets,
                                                     sample_weight, rows, weight_sum, noise);
  backpropagation_.update_running_statistics(network_);
  loss += l2_penalty(network_, gradient_.data(), options_.alpha, weight_sum);
  if (collect_statistics) {
    for (int layer = 0; layer < network_.n_layers() - 1; ++layer) {
      statistics_.add_activations(layer, backpropagation_.activations(layer), rows,
                                  network_.layer_units()[layer + 1],
                                  network_.hidden_activations()[layer]);
    }
    statistics_.add_gradient(network_, gradient_.data());
  }

  ++step_;
  const float learning_rate = static_cast<float>(options_.learning_rate);
  switch (options_.solver) {
    case Solver::sgd:
      sgd_step(network_.parameters(), optimizer_state_[0].data(), gradient_.data(),
               network_.n_parameters(), learning_rate, static_cast<float>(options_.momentum),
               options_.nesterov);
      break;
    case Solver::adam:
      adam_step(network_.parameters(), optimizer_state_[0].data(), optimizer_state_[1].data(),
                gradient_.data(), network_.n_parameters(), learning_rate,
                static_cast<float>(options_.beta_1), static_cast<float>(options_.beta_2),
                static_cast<float>(options_.epsilon), step_);
      break;
  }
  return loss;
}

double full_batch_loss_and_gradient(const Network& network, Loss loss, double alpha,
                                    const Dataset& data, const float* targets,
                                    const float* sample_weight, float* gradient, int n_threads,
                                    const NoiseKey& noise) {
  const ThreadCountScope threads(n_threads);
  const long n_samples = data.n_samples();
  if (data.n_features() != network.n_inputs()) {
    throw std::invalid_argument("X has the wrong number of features for this network");
  }
  if (n_samples == 0) throw std::invalid_argument("no samples to train on");
  double weight_sum = static_cast<double>(n_samples);
  if (sample_weight != nullptr) {
    weight_sum = 0.0;
    for (long i = 0; i < n_samples; ++i) weight_sum += sample_weight[i];
  }
  const int chunk_rows = static_cast<int>(std::min<long>(n_samples, 4096));
  Backpropagation backpropagation(network, loss);
  backpropagation.reserve(chunk_rows);
  AlignedVector<float> scratch(static_cast<size_t>(chunk_rows) * network.n_inputs());
  std::fill(gradient, gradient + network.n_parameters(), 0.0f);
  double total = 0.0;
  for (long first = 0; first < n_samples; first += chunk_rows) {
    const int rows = static_cast<int>(std::min<long>(chunk_rows, n_samples - first));
    NoiseKey chunk_noise = noise;
    chunk_noise.first_row = first;
    total += backpropagation.accumulate_gradient(
        network, gradient, data.contiguous_rows(first, rows, scratch.data()),
        targets + first * network.n_outputs(),
        sample_weight != nullptr ? sample_weight + first : nullptr, rows, weight_sum, chunk_noise);
  }
  return total + l2_penalty(network, gradient, alpha, weight_sum);
}

double full_batch_loss(const Network& network, Loss loss, double alpha, const Dataset& data,
                       const float* targets, const float* sample_weight, int n_threads) {
  const long n_samples = data.n_samples();
  if (n_samples == 0) throw std::invalid_argument("no samples to evaluate");
  double weight_sum = static_cast<double>(n_samples);
  if (sample_weight != nullptr) {
    weight_sum = 0.0;
    for (long i = 0; i < n_samples; ++i) weight_sum += sample_weight[i];
  }
  const long n_values = n_samples * network.n_outputs();
  AlignedVector<float> pre_activation(n_values);
  AlignedVector<float> unused_delta(n_values);
  network.predict_pre_activation(data, pre_activation.data(), n_threads);
  const double data_loss =
      loss_forward_backward(unused_delta.data(), pre_activation.data(), targets, sample_weight,
                            static_cast<int>(n_samples), network.n_outputs(), loss, weight_sum);
  return data_loss + l2_penalty(network, nullptr, alpha, weight_sum);
}

}  // namespace fastdnn
