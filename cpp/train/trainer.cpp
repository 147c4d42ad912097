#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "kernels/arena_pass.h"
#include "kernels/floating_point_mode.h"
#include "kernels/gemm.h"
#include "kernels/interruption.h"
#include "kernels/parallel.h"
#include "kernels/random.h"
#include "kernels/reductions.h"
#include "kernels/thread_count.h"
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/gradient_clipping.h"
#include "optim/nadam.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"
#include "optim/weight_averaging.h"
#include "optim/weight_decay.h"

namespace fastdnn {

namespace {

std::unique_ptr<Optimizer> make_optimizer(const TrainerOptions& options, long n_parameters) {
  const float beta_2 = static_cast<float>(options.beta_2);
  const float epsilon = static_cast<float>(options.epsilon);
  switch (options.solver) {
    case Solver::sgd:
      return std::make_unique<Sgd>(n_parameters, static_cast<float>(options.momentum),
                                   options.nesterov);
    case Solver::adam:
      return std::make_unique<Adam>(n_parameters, static_cast<float>(options.beta_1), beta_2,
                                    epsilon);
    case Solver::nadam:
      return std::make_unique<Nadam>(n_parameters, options.beta_1, beta_2, epsilon);
    case Solver::rmsprop:
      return std::make_unique<Rmsprop>(n_parameters, static_cast<float>(options.rho),
                                       options.rmsprop_momentum, epsilon);
    case Solver::adagrad:
      return std::make_unique<Adagrad>(n_parameters, epsilon);
  }
  throw std::invalid_argument("unknown solver");
}

void append_range(std::vector<std::pair<long, long>>& ranges, long begin, long end) {
  if (!ranges.empty() && ranges.back().second == begin) {
    ranges.back().second = end;
  } else {
    ranges.emplace_back(begin, end);
  }
}

}  // namespace

Trainer::Trainer(Network& network, const TrainerOptions& options)
    : network_(network),
      options_(options),
      backpropagation_(network, options.loss),
      workspace_options_version_(network.options_version()),
      gradient_(network.n_parameters(), 0.0f),
      optimizer_(make_optimizer(options, network.n_parameters())) {
  if (options.ema_decay < 0.0 || options.ema_decay >= 1.0) {
    throw std::invalid_argument("ema_decay must be in [0, 1)");
  }
  const auto& rates = options.layer_learning_rates;
  if (!rates.empty() && static_cast<int>(rates.size()) != network.n_layers()) {
    throw std::invalid_argument("layer_learning_rates must hold one multiplier per weight layer (" +
                                std::to_string(network.n_layers()) + "), not " +
                                std::to_string(rates.size()));
  }
  for (double rate : rates) {
    if (!(rate > 0.0 && std::isfinite(rate))) {
      throw std::invalid_argument("layer_learning_rates must be positive and finite, got " +
                                  std::to_string(rate));
    }
  }
  set_label_smoothing(options.label_smoothing);
  if (!(options.distillation_weight >= 0.0 && options.distillation_weight <= 1.0)) {
    throw std::invalid_argument("distillation_weight must be in [0, 1]");
  }
  if (!(options.distillation_temperature > 0.0 &&
        std::isfinite(options.distillation_temperature))) {
    throw std::invalid_argument("distillation_temperature must be positive and finite");
  }
  std::vector<bool> trainable(network.n_layers(), options.trainable_layers.empty());
  for (int layer : options.trainable_layers) {
    if (layer < 0 || layer >= network.n_layers()) {
      throw std::out_of_range("trainable_layers holds " + std::to_string(layer) +
                              ", but the network has layers 0.." +
                              std::to_string(network.n_layers() - 1));
    }
    trainable[layer] = true;
  }
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const long end =
        layer + 1 < network.n_layers() ? network.weight_offset(layer + 1) : network.n_parameters();
    append_range(added_gradient_ranges_, network.bias_offset(layer), end);
    if (trainable[layer]) trainable_layers_.push_back(layer);
  }
  select_trainable(trainable);
  if (options.averaging != Averaging::none) averaged_.assign(network.n_parameters(), 0.0f);
}

void Trainer::select_trainable(const std::vector<bool>& trainable) {
  const auto append_scaled = [](std::vector<ScaledRange>& ranges, long begin, long end,
                                float rate_scale) {
    if (!ranges.empty() && ranges.back().end == begin && ranges.back().rate_scale == rate_scale) {
      ranges.back().end = end;
    } else {
      ranges.push_back({begin, end, rate_scale});
    }
  };
  trainable_ranges_.clear();
  trainable_weight_ranges_.clear();
  trainable_other_ranges_.clear();
  frozen_layers_.clear();
  // A layer's range runs to the next layer's weights: whatever a layer owns
  // after its bias (normalization parameters) freezes and trains with it.
  for (int layer = 0; layer < network_.n_layers(); ++layer) {
    if (!trainable[layer]) {
      frozen_layers_.push_back(layer);
      continue;
    }
    const long end = layer + 1 < network_.n_layers() ? network_.weight_offset(layer + 1)
                                                     : network_.n_parameters();
    const float rate_scale = options_.layer_learning_rates.empty()
                                 ? 1.0f
                                 : static_cast<float>(options_.layer_learning_rates[layer]);
    append_range(trainable_ranges_, network_.weight_offset(layer), end);
    append_scaled(trainable_weight_ranges_, network_.weight_offset(layer),
                  network_.bias_offset(layer), rate_scale);
    append_scaled(trainable_other_ranges_, network_.bias_offset(layer), end, rate_scale);
  }
}

void Trainer::set_label_smoothing(double label_smoothing) {
  if (!(label_smoothing >= 0.0 && label_smoothing < 1.0)) {
    throw std::invalid_argument("label_smoothing must be in [0, 1), got " +
                                std::to_string(label_smoothing));
  }
  if (label_smoothing > 0.0 && options_.loss != Loss::log_loss &&
      options_.loss != Loss::binary_log_loss) {
    throw std::invalid_argument("label_smoothing applies to a classifier's cross-entropy, not to " +
                                name_of(options_.loss));
  }
  options_.label_smoothing = label_smoothing;
}

void Trainer::set_options(TrainerOptions options) {
  const auto construction_fields = [](const TrainerOptions& o) {
    return std::tie(o.loss, o.solver, o.momentum, o.nesterov, o.beta_1, o.beta_2, o.epsilon, o.rho,
                    o.rmsprop_momentum, o.averaging, o.ema_decay, o.trainable_layers,
                    o.layer_learning_rates, o.layer_schedule);
  };
  if (construction_fields(options) != construction_fields(options_)) {
    throw std::invalid_argument(
        "the loss, the solver and its constants, averaging, trainable_layers, "
        "layer_learning_rates and layer_schedule were fixed when the trainer was made");
  }
  const double label_smoothing = options.label_smoothing;
  options.label_smoothing = options_.label_smoothing;
  options_ = std::move(options);
  set_label_smoothing(label_smoothing);
}

void Trainer::set_step(long step) {
  step_ = step;
  optimizer_->restore_step(step);
}

void Trainer::set_averaging_active(bool active) {
  if (active && options_.averaging == Averaging::none) {
    throw std::logic_error("this trainer was created without weight averaging");
  }
  averaging_active_ = active;
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

// Whether any kernel of a minibatch of `rows` is large enough to be shared
// between threads: a layer's products (rows × fan-in × fan-out multiply-adds
// each), a pass over the parameter arena or the gather of the rows.
bool minibatch_shares_work(const Network& network, int rows) {
  if (network.n_parameters() >= kParallelArenaElements ||
      static_cast<long>(rows) * network.n_inputs() >= kParallelArenaElements) {
    return true;
  }
  const std::vector<int>& units = network.layer_units();
  for (std::size_t layer = 0; layer + 1 < units.size(); ++layer) {
    if (std::int64_t{rows} * units[layer] * units[layer + 1] >= kParallelMinWork) return true;
  }
  return false;
}

}  // namespace

double Trainer::train_epoch(const Dataset& data, const float* targets, const float* sample_weight,
                            int batch_size, bool shuffle, uint64_t seed, uint64_t epoch,
                            const double* learning_rates, const float* teacher_logits) {
  const EngineFloatingPointMode subnormals_as_zero;
  const long n_samples = data.n_samples();
  if (data.n_features() != network_.n_inputs()) {
    throw std::invalid_argument("X has " + std::to_string(data.n_features()) +
                                " features, but the network expects " +
                                std::to_string(network_.n_inputs()));
  }
  if (n_samples == 0) throw std::invalid_argument("no samples to train on");
  if (batch_size <= 0) throw std::invalid_argument("batch_size must be positive");
  if (teacher_logits != nullptr && options_.loss != Loss::log_loss &&
      options_.loss != Loss::binary_log_loss) {
    throw std::invalid_argument("only a classifier's cross-entropy distils from teacher logits");
  }
  batch_size = static_cast<int>(std::min<long>(batch_size, n_samples));
  // A net whose minibatch has nothing to share (a tabular data set's 8-100-1
  // regressor) trains on this thread alone: on two threads a team waited for
  // jobs that never came, and its epoch was slower than on one.
  const ThreadCountScope threads(minibatch_shares_work(network_, batch_size) ? options_.n_threads
                                                                             : 1);
  const MatrixPrecisionScope precision(options_.training_precision);
  const int n_inputs = network_.n_inputs();
  const int n_outputs = network_.n_outputs();

  // Which buffers the workspace holds follows the network's options (a rate
  // annealed from 0 needs dropout's).
  if (workspace_options_version_ != network_.options_version()) {
    backpropagation_ = Backpropagation(network_, options_.loss);
    workspace_options_version_ = network_.options_version();
  }
  // Grows once per fit (or when a later partial_fit brings a bigger batch).
  backpropagation_.reserve(batch_size);
  batch_inputs_.resize(static_cast<size_t>(batch_size) * n_inputs);
  batch_targets_.resize(static_cast<size_t>(batch_size) * n_outputs);
  batch_weights_.resize(batch_size);
  if (teacher_logits != nullptr) {
    batch_teacher_logits_.resize(static_cast<size_t>(batch_size) * n_outputs);
  }
  if (options_.layer_schedule == LayerSchedule::cyclic) {
    // Block coordinate descent: this epoch's layer alone moves; the others'
    // ranges take no step at all, so they stay bit for bit as they are.
    std::vector<bool> trainable(network_.n_layers(), false);
    trainable[trainable_layers_[epoch % trainable_layers_.size()]] = true;
    select_trainable(trainable);
  }
  if (options_.collect_statistics) statistics_.reset(network_, options_.collect_histograms);
  const long n_batches = (n_samples + batch_size - 1) / batch_size;
  const long statistics_stride =
      std::max(kStatisticsMinStride, (n_batches + kStatisticsBatches - 1) / kStatisticsBatches);
  batches_done_.store(0, std::memory_order_relaxed);
  batches_in_epoch_.store(n_batches, std::memory_order_relaxed);
  noise_seed_ = seed;
  if (shuffle) {
    order_.resize(n_samples);
    shuffled_order(order_, seed, epoch);
  }

  double accumulated_loss = 0.0;
  // A minibatch runs several parallel kernels in a millisecond or less: one
  // team of threads stays awake between them (kernels/parallel.h).
  with_worker_team([&] {
    for (long first = 0, batch = 0; first < n_samples; first += batch_size, ++batch) {
      // Between minibatches the arena, the optimizer's state, the step count
      // and batches_done all describe the same finished minibatches.
      if (batch > 0) check_interruption();
      if (learning_rates != nullptr) options_.learning_rate = learning_rates[batch];
      const int rows = static_cast<int>(std::min<long>(batch_size, n_samples - first));
      const float* inputs;
      const float* batch_targets;
      const float* batch_weights = nullptr;
      const float* batch_teacher = nullptr;
      if (shuffle) {
        const int64_t* batch_order = order_.data() + first;
        data.gather_rows(batch_inputs_.data(), batch_order, rows);
        // The next minibatch's rows come from memory while this one trains.
        const long next = first + rows;
        if (next < n_samples) {
          data.prefetch_rows(order_.data() + next,
                             static_cast<int>(std::min<long>(batch_size, n_samples - next)));
        }
        gather_matrix_rows(batch_targets_.data(), targets, n_outputs, batch_order, rows);
        inputs = batch_inputs_.data();
        batch_targets = batch_targets_.data();
        if (sample_weight != nullptr) {
          for (int i = 0; i < rows; ++i) batch_weights_[i] = sample_weight[batch_order[i]];
          batch_weights = batch_weights_.data();
        }
        if (teacher_logits != nullptr) {
          gather_matrix_rows(batch_teacher_logits_.data(), teacher_logits, n_outputs, batch_order,
                             rows);
          batch_teacher = batch_teacher_logits_.data();
        }
      } else {
        inputs = data.contiguous_rows(first, rows, batch_inputs_.data());
        batch_targets = targets + first * n_outputs;
        if (sample_weight != nullptr) batch_weights = sample_weight + first;
        if (teacher_logits != nullptr) batch_teacher = teacher_logits + first * n_outputs;
      }
      const bool collect = options_.collect_statistics && batch % statistics_stride == 0;
      accumulated_loss +=
          train_batch(inputs, batch_targets, batch_weights, batch_teacher, rows, collect) * rows;
      batches_done_.store(batch + 1, std::memory_order_relaxed);
    }
  });
  return accumulated_loss / static_cast<double>(n_samples);
}

double Trainer::train_batch(const float* inputs, const float* targets, const float* sample_weight,
                            const float* teacher_logits, int rows, bool collect_statistics) {
  double weight_sum = rows;
  if (sample_weight != nullptr) {
    weight_sum = 0.0;
    for (int i = 0; i < rows; ++i) weight_sum += sample_weight[i];
  }
  // Every step starts from a zero gradient. The weights' part, nearly all of
  // it, is written by their dW products with beta 0; zeroing it first was a
  // pass over the arena that a wide net's step felt.
  float* gradient = gradient_.data();
  for (const auto& [first, last] : added_gradient_ranges_) {
    arena_pass(last - first, [gradient, first = first](long begin, long end) {
      std::fill(gradient + first + begin, gradient + first + end, 0.0f);
    });
  }
  // Dropout masks and input noise: one draw per optimizer step.
  NoiseKey noise;
  noise.seed = noise_seed_;
  noise.step = static_cast<uint64_t>(step_);
  LossTerms terms;
  terms.label_smoothing = static_cast<float>(options_.label_smoothing);
  terms.teacher_logits = teacher_logits;
  terms.distillation_weight = static_cast<float>(options_.distillation_weight);
  terms.distillation_temperature = static_cast<float>(options_.distillation_temperature);
  double loss = backpropagation_.accumulate_gradient(
      network_, gradient, inputs, targets, sample_weight, rows, weight_sum, noise,
      Backpropagation::WeightGradients::overwrite, terms);
  backpropagation_.update_running_statistics(network_);
  // The L2 term's gradient, alpha·W / weight_sum, joins the gradient inside
  // the optimizer step, which reads W anyway and returns Σ W² for the
  // penalty: one pass over the arena where adding it here takes two more.
  // Clipping and the diagnostics must see the whole gradient first, and
  // decoupled decay changes W before the step, so with those it is added here.
  const bool l2_in_step = options_.alpha > 0.0 && options_.clip_value == 0.0 &&
                          options_.clip_norm == 0.0 && options_.weight_decay == 0.0 &&
                          !collect_statistics;
  loss += regularization_penalty(network_, gradient_.data(),
                                 {l2_in_step ? 0.0 : options_.alpha, options_.l1}, weight_sum);
  if (collect_statistics) {
    for (int layer = 0; layer < network_.n_layers() - 1; ++layer) {
      statistics_.add_activations(layer, backpropagation_.activations(layer), rows,
                                  network_.layer_units()[layer + 1],
                                  network_.hidden_activations()[layer]);
    }
    statistics_.add_gradient(network_, gradient_.data());
  }

  clip_gradient();

  ++step_;
  const float learning_rate = static_cast<float>(options_.learning_rate);
  if (options_.weight_decay > 0.0) {
    for (const auto& [begin, end, rate_scale] : trainable_weight_ranges_) {
      decoupled_weight_decay(network_.parameters() + begin, end - begin, learning_rate * rate_scale,
                             static_cast<float>(options_.weight_decay));
    }
  }
  const float l2_scale = l2_in_step ? static_cast<float>(options_.alpha / weight_sum) : 0.0f;
  optimizer_->start_step(step_, learning_rate);
  float* params = network_.parameters();
  double squared_weights = 0.0;
  for (const auto& [begin, end, rate_scale] : trainable_weight_ranges_) {
    squared_weights += optimizer_->update(params, gradient, begin, end, l2_scale, rate_scale);
  }
  for (const auto& [begin, end, rate_scale] : trainable_other_ranges_) {
    optimizer_->update(params, gradient, begin, end, 0.0f, rate_scale);
  }
  if (l2_in_step) {
    // Frozen weights are penalised too, though no step reads them.
    for (int layer : frozen_layers_) {
      squared_weights += sum_of_squares(network_.weight(layer), network_.weight_size(layer));
    }
    loss += 0.5 * options_.alpha * squared_weights / weight_sum;
  }
  if (averaging_active_) update_average();
  return loss;
}

// Frozen layers' gradients take no part: the norm is that of the update's
// gradient, as PyTorch's clip_grad_norm_ over the parameters that train.
void Trainer::clip_gradient() {
  if (options_.clip_value > 0.0) {
    for (const auto& [begin, end] : trainable_ranges_) {
      clip_grad_value(gradient_.data() + begin, end - begin,
                      static_cast<float>(options_.clip_value));
    }
  }
  if (options_.clip_norm > 0.0) {
    double squared_norm = 0.0;
    for (const auto& [begin, end] : trainable_ranges_) {
      squared_norm += sum_of_squares(gradient_.data() + begin, end - begin);
    }
    const double norm = std::sqrt(squared_norm);
    for (const auto& [begin, end] : trainable_ranges_) {
      scale_grad(gradient_.data() + begin, end - begin, norm, options_.clip_norm);
    }
  }
}

void Trainer::update_average() {
  const float* params = network_.parameters();
  ++averaged_count_;
  // The first iterate starts the average everywhere, frozen layers included;
  // after that only what trains can change.
  if (averaged_count_ == 1) {
    std::copy(params, params + network_.n_parameters(), averaged_.data());
    return;
  }
  const float ema_decay =
      static_cast<float>(ema_warmed_up_decay(options_.ema_decay, averaged_count_ - 1));
  for (const auto& [begin, end] : trainable_ranges_) {
    if (options_.averaging == Averaging::polyak) {
      polyak_average_update(averaged_.data() + begin, params + begin, end - begin, averaged_count_);
    } else {
      ema_update(averaged_.data() + begin, params + begin, end - begin, ema_decay);
    }
  }
}

double full_batch_loss_and_gradient(const Network& network, Loss loss,
                                    const Regularization& regularization, const Dataset& data,
                                    const float* targets, const float* sample_weight,
                                    float* gradient, int n_threads, const NoiseKey& noise,
                                    const LossTerms& terms) {
  const ThreadCountScope threads(n_threads);
  const EngineFloatingPointMode subnormals_as_zero;
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
    if (first > 0) check_interruption();  // the caller then has no gradient
    const int rows = static_cast<int>(std::min<long>(chunk_rows, n_samples - first));
    NoiseKey chunk_noise = noise;
    chunk_noise.first_row = first;
    LossTerms chunk_terms = terms;
    if (terms.teacher_logits != nullptr) {
      chunk_terms.teacher_logits = terms.teacher_logits + first * network.n_outputs();
    }
    total += backpropagation.accumulate_gradient(
        network, gradient, data.contiguous_rows(first, rows, scratch.data()),
        targets + first * network.n_outputs(),
        sample_weight != nullptr ? sample_weight + first : nullptr, rows, weight_sum, chunk_noise,
        Backpropagation::WeightGradients::add, chunk_terms);
  }
  return total + regularization_penalty(network, gradient, regularization, weight_sum);
}

double full_batch_loss(const Network& network, Loss loss, const Regularization& regularization,
                       const Dataset& data, const float* targets, const float* sample_weight,
                       int n_threads) {
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
  return data_loss + regularization_penalty(network, nullptr, regularization, weight_sum);
}

}  // namespace fastdnn
