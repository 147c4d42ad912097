#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "kernels/aligned_buffer.h"
#include "kernels/enum_names.h"
#include "kernels/matrix_precision.h"
#include "nn/loss.h"
#include "nn/network.h"
#include "optim/optimizer.h"
#include "train/backpropagation.h"
#include "train/regularization.h"
#include "train/training_statistics.h"

namespace fastdnn {

// AdamW is adam with TrainerOptions::weight_decay: the estimators resolve it.
enum class Solver { sgd, adam, nadam, rmsprop, adagrad };
template <>
struct EnumNames<Solver> {
  static constexpr const char* kind = "solver";
  static constexpr std::array<NamedValue<Solver>, 5> table{{
      {Solver::sgd, "sgd"},
      {Solver::adam, "adam"},
      {Solver::nadam, "nadam"},
      {Solver::rmsprop, "rmsprop"},
      {Solver::adagrad, "adagrad"},
  }};
};

enum class Averaging { none, polyak, ema };
template <>
struct EnumNames<Averaging> {
  static constexpr const char* kind = "averaging";
  static constexpr std::array<NamedValue<Averaging>, 3> table{{
      {Averaging::none, "none"},
      {Averaging::polyak, "polyak"},
      {Averaging::ema, "ema"},
  }};
};

// Which weight layers an epoch trains: all of them, or one in turn (block
// coordinate descent), each epoch the next of the trainable layers.
enum class LayerSchedule { joint, cyclic };
template <>
struct EnumNames<LayerSchedule> {
  static constexpr const char* kind = "layer_schedule";
  static constexpr std::array<NamedValue<LayerSchedule>, 2> table{{
      {LayerSchedule::joint, "joint"},
      {LayerSchedule::cyclic, "cyclic"},
  }};
};

struct TrainerOptions {
  Loss loss = Loss::squared_error;
  Solver solver = Solver::adam;
  double alpha = 1e-4;
  double learning_rate = 1e-3;
  double momentum = 0.9;
  bool nesterov = true;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-8;
  bool collect_statistics = false;  // fill statistics() each epoch (diagnostics)
  bool collect_histograms = false;  // and their histograms (diagnostics='full')
  int n_threads = 0;                // ≤ 0: OpenMP's setting (see kernels/thread_count.h)
  double l1 = 0.0;                  // L1 on the weights, scaled as alpha
  double weight_decay = 0.0;        // decoupled: weights −= lr·weight_decay·weights
  double rho = 0.9;                 // rmsprop's decay of the squared gradients
  double rmsprop_momentum = 0.0;
  double clip_value = 0.0;  // > 0: clamp each gradient element to ±clip_value
  double clip_norm = 0.0;   // > 0: rescale the gradient to global L2 norm ≤ clip_norm
  Averaging averaging = Averaging::none;
  double ema_decay = 0.999;
  std::vector<int> trainable_layers;  // the layers that update; empty: all of them
  // One learning-rate multiplier per weight layer (its weights, bias and
  // normalization parameters); empty: 1 for every layer.
  std::vector<double> layer_learning_rates;
  LayerSchedule layer_schedule = LayerSchedule::joint;
  double label_smoothing = 0.0;  // cross-entropies only (nn/loss.h)
  // The blend of a fit with teacher logits (nn/distillation.h).
  double distillation_weight = 0.5;
  double distillation_temperature = 1.0;
  // The minibatch products' operands (forward, dX, dW): bfloat16 rounds them
  // and sums in float32; weights, optimizer state, loss and everything else
  // stay float32.
  MatrixPrecision training_precision = MatrixPrecision::float32;

  // Every field under its own name: the bindings build the options from a
  // mapping of these names and hand them back as one, so adding a field
  // here is all it takes to reach it from Python.
  template <class Visit>
  static void for_each_field(Visit&& visit) {
    visit("loss", &TrainerOptions::loss);
    visit("solver", &TrainerOptions::solver);
    visit("alpha", &TrainerOptions::alpha);
    visit("learning_rate", &TrainerOptions::learning_rate);
    visit("momentum", &TrainerOptions::momentum);
    visit("nesterov", &TrainerOptions::nesterov);
    visit("beta_1", &TrainerOptions::beta_1);
    visit("beta_2", &TrainerOptions::beta_2);
    visit("epsilon", &TrainerOptions::epsilon);
    visit("collect_statistics", &TrainerOptions::collect_statistics);
    visit("collect_histograms", &TrainerOptions::collect_histograms);
    visit("n_threads", &TrainerOptions::n_threads);
    visit("l1", &TrainerOptions::l1);
    visit("weight_decay", &TrainerOptions::weight_decay);
    visit("rho", &TrainerOptions::rho);
    visit("rmsprop_momentum", &TrainerOptions::rmsprop_momentum);
    visit("clip_value", &TrainerOptions::clip_value);
    visit("clip_norm", &TrainerOptions::clip_norm);
    visit("averaging", &TrainerOptions::averaging);
    visit("ema_decay", &TrainerOptions::ema_decay);
    visit("trainable_layers", &TrainerOptions::trainable_layers);
    visit("layer_learning_rates", &TrainerOptions::layer_learning_rates);
    visit("layer_schedule", &TrainerOptions::layer_schedule);
    visit("label_smoothing", &TrainerOptions::label_smoothing);
    visit("distillation_weight", &TrainerOptions::distillation_weight);
    visit("distillation_temperature", &TrainerOptions::distillation_temperature);
    visit("training_precision", &TrainerOptions::training_precision);
  }
};

// Runs epochs of minibatch training on a network. Everything per minibatch
// (gathering the batch, forward, backward, the optimizer step) happens here,
// with no allocation once the workspace has grown to the batch size; what
// happens between epochs (schedules, validation, stopping) is the caller's.
class Trainer {
 public:
  Trainer(Network& network, const TrainerOptions& options);

  // One pass over the data in minibatches of batch_size rows, in an order
  // shuffled by Philox keyed by (seed, epoch) or in the data's order.
  // targets (n_samples, n_outputs), sample_weight (n_samples) or null.
  // learning_rates, when not null, holds one rate per minibatch of the epoch
  // (a schedule in steps, computed by the caller once per epoch); otherwise
  // every step uses learning_rate(). teacher_logits (n_samples, n_outputs),
  // when not null, are distilled from (options' distillation_weight and
  // distillation_temperature). With layer_schedule cyclic, `epoch` picks the
  // layer that trains.
  // Returns scikit-learn's loss_ for the epoch: the mean over samples of each
  // batch's loss (penalties included) weighted by the batch's row count.
  double train_epoch(const Dataset& data, const float* targets, const float* sample_weight,
                     int batch_size, bool shuffle, uint64_t seed, uint64_t epoch,
                     const double* learning_rates = nullptr, const float* teacher_logits = nullptr);

  const Network& network() const { return network_; }
  const TrainerOptions& options() const { return options_; }

  // Progress of the epoch running now, readable from another thread while
  // train_epoch runs (a progress bar polls it; nothing calls back per batch).
  long batches_done() const { return batches_done_.load(std::memory_order_relaxed); }
  long batches_in_epoch() const { return batches_in_epoch_.load(std::memory_order_relaxed); }
  // Replaces the options that steps read as they run (rates, penalties,
  // clipping): the per-epoch values of an annealed option. Those the
  // optimizer, the workspace and the trainable ranges were made from must
  // stay as they are.
  void set_options(TrainerOptions options);
  double learning_rate() const { return options_.learning_rate; }
  void set_learning_rate(double learning_rate) { options_.learning_rate = learning_rate; }
  // Between epochs the caller may change it (a schedule of label smoothing).
  double label_smoothing() const { return options_.label_smoothing; }
  void set_label_smoothing(double label_smoothing);
  long step() const { return step_; }
  void set_step(long step);

  // The optimizer's state, arenas of the parameters' layout: the velocity for
  // sgd; the first and second moments for adam and nadam; the mean square
  // (and, with momentum, the momentum buffer) for rmsprop; the sum of squares
  // for adagrad.
  std::vector<AlignedVector<float>>& optimizer_state() { return optimizer_->state(); }

  // Weight averaging: while averaging_active(), every step folds the new
  // iterate into averaged_parameters() (an arena of the parameters' layout,
  // empty without options.averaging); averaged_count() iterates so far. The
  // network keeps the raw iterates, which are the ones that train.
  bool averaging_active() const { return averaging_active_; }
  void set_averaging_active(bool active);
  AlignedVector<float>& averaged_parameters() { return averaged_; }
  long averaged_count() const { return averaged_count_; }
  void set_averaged_count(long count) { averaged_count_ = count; }

  // Diagnostics of the last epoch, when options.collect_statistics: gathered
  // on every k-th minibatch, k the smallest stride that samples at most
  // kStatisticsBatches of them, and at least kStatisticsMinStride, so that
  // they cost a bounded amount per epoch however many steps it takes: a
  // sampled step costs more than a plain one (the gradient's norms, and the
  // L2 term in a pass of its own; docs/training_control.md).
  static constexpr long kStatisticsBatches = 32;
  static constexpr long kStatisticsMinStride = 4;
  const TrainingStatistics& statistics() const { return statistics_; }

 private:
  double train_batch(const float* inputs, const float* targets, const float* sample_weight,
                     const float* teacher_logits, int rows, bool collect_statistics);
  // The arena ranges that train, from one flag per layer.
  void select_trainable(const std::vector<bool>& trainable);
  void clip_gradient();
  void update_average();

  Network& network_;
  TrainerOptions options_;
  long step_ = 0;
  uint64_t noise_seed_ = 0;
  Backpropagation backpropagation_;
  long workspace_options_version_;  // the network's options the workspace was made for
  AlignedVector<float> gradient_;
  std::unique_ptr<Optimizer> optimizer_;  // options.solver's, with its state
  // [begin, end) arena ranges, merged where adjacent: whole trainable
  // layers; their weights alone (what L2 penalises and weight decay shrinks);
  // the rest of them (biases, normalization parameters). The last two carry
  // their layer's learning-rate multiplier, and merge only where it is the same.
  struct ScaledRange {
    long begin, end;
    float rate_scale;
  };
  std::vector<std::pair<long, long>> trainable_ranges_;
  std::vector<ScaledRange> trainable_weight_ranges_;
  std::vector<ScaledRange> trainable_other_ranges_;
  // The layers that may train: trainable_layers, or all.
  std::vector<int> trainable_layers_;
  // Every layer's range past its weights, frozen ones too: the part of the
  // gradient a step zeroes before backpropagation adds to it (the weights'
  // part is overwritten).
  std::vector<std::pair<long, long>> added_gradient_ranges_;
  std::vector<int> frozen_layers_;
  bool averaging_active_ = false;
  AlignedVector<float> averaged_;
  long averaged_count_ = 0;
  AlignedVector<int64_t> order_;
  AlignedVector<float> batch_inputs_;
  AlignedVector<float> batch_targets_;
  AlignedVector<float> batch_weights_;
  AlignedVector<float> batch_teacher_logits_;
  TrainingStatistics statistics_;
  std::atomic<long> batches_done_{0};
  std::atomic<long> batches_in_epoch_{0};
};

// Loss and gradient over all rows for full-batch solvers (L-BFGS): rows go
// through in chunks, so memory stays bounded whatever the number of rows.
// gradient (n_parameters) is overwritten. Returns the loss with the penalties.
// Batch norm takes each chunk's statistics and dropout draws from `noise`, so
// estimators only use this without them (the tests use it on one chunk).
// terms.teacher_logits, when not null, hold all rows' (n_samples, n_outputs).
double full_batch_loss_and_gradient(const Network& network, Loss loss,
                                    const Regularization& regularization, const Dataset& data,
                                    const float* targets, const float* sample_weight,
                                    float* gradient, int n_threads = 0, const NoiseKey& noise = {},
                                    const LossTerms& terms = {});

// The loss over all rows as loss_ reports it (weighted mean, penalties
// included), without a gradient: the validation loss of an epoch.
double full_batch_loss(const Network& network, Loss loss, const Regularization& regularization,
                       const Dataset& data, const float* targets, const float* sample_weight,
                       int n_threads = 0);

}  // namespace fastdnn
