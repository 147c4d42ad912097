"""The epoch loop of the stochastic solvers (sgd, adam, nadam, rmsprop, ...).

The engine runs each epoch's minibatches in one call with the GIL released;
this loop decides between epochs: the learning rate, validation, stopping,
the best weights, callbacks and the history. With none of fastdnn's own
parameters set it does exactly what scikit-learn's ``_fit_stochastic`` does.
"""

import copy
import math
import mmap
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, validate_data

from fastdnn import _core
from fastdnn._annealing import anneal_epoch, annealed_fields
from fastdnn._float32_inputs import (
    check_finite_in_float32,
    check_float32_range,
    check_sample_weight_for_float32,
)
from fastdnn.callbacks import ProgressBar
from fastdnn.curriculum import pacing
from fastdnn.schedules import LearningRateSchedule, ReduceLROnPlateau

# Seeds handed to the engine are drawn from the estimator's random state, so
# the same random_state gives the same model.
SEED_BOUND = np.iinfo(np.int32).max


def _memory_mapped(X):
    """Whether X's memory is a mapped file (np.memmap, or a view of one)."""
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def as_dataset(X):
    """View validated inputs as an engine Dataset; CSR stays sparse.

    Dense float32 rows are read where they lie. Float64 rows are converted
    to float32 once per call to fit or predict (rounding every minibatch's
    rows again each epoch made epochs slower, docs/dask.md), except from a
    memory-mapped file, which may not fit in memory at all: its rows are
    rounded a minibatch (or a chunk of rows) at a time, and the file is
    never copied whole.
    """
    if hasattr(X, "tocsr"):
        X = X.tocsr()
        return _core.Dataset.from_csr(
            np.ascontiguousarray(X.data, dtype=np.float32),
            np.ascontiguousarray(X.indices, dtype=np.int64),
            np.ascontiguousarray(X.indptr, dtype=np.int64),
            X.shape[1],
        )
    X = np.asarray(X) if _memory_mapped(X) else np.asarray(X, dtype=np.float32)
    return _core.Dataset(X)


def as_float32(array):
    if array is None:
        return None
    return np.ascontiguousarray(array, dtype=np.float32)


@dataclass
class _Validation:
    """Held-out data, in the forms scoring and the engine's loss need."""

    X: object  # validated inputs, for scoring
    y: np.ndarray  # labels (classifier) or targets (regressor), for scoring
    sample_weight: np.ndarray | None
    data: object  # engine Dataset
    targets: np.ndarray  # float32 (n, n_outputs), for the loss


class Curriculum:
    """A fit's training rows sorted easiest first, so that each epoch of a
    curriculum trains on a prefix of them (a view, for dense inputs)."""

    def __init__(self, X, targets, weights, teacher_logits, difficulty, curriculum):
        order = np.argsort(difficulty, kind="stable")
        # In the engine's dtype once, so that each epoch's prefix is a view.
        self.X = X[order] if hasattr(X, "tocsr") else as_float32(X[order])
        self.targets = targets[order]
        self.weights = None if weights is None else weights[order]
        self.teacher_logits = None if teacher_logits is None else teacher_logits[order]
        self.curriculum = curriculum

    def epoch(self, epoch, curriculum_epochs, all_rows):
        """(data, targets, weights, teacher logits, rows) of epoch ``epoch``
        of the fit: ``all_rows`` once the curriculum has reached every
        sample."""
        fraction = pacing(self.curriculum, epoch, curriculum_epochs)
        if fraction >= 1.0:
            return all_rows
        n_samples = self.X.shape[0]
        rows = min(n_samples, max(1, math.ceil(fraction * n_samples)))
        return (
            as_dataset(self.X[:rows]),
            self.targets[:rows],
            None if self.weights is None else self.weights[:rows],
            None if self.teacher_logits is None else self.teacher_logits[:rows],
            rows,
        )


class StochasticTraining:
    """Mixin of BaseMultilayerPerceptron: fit with the stochastic solvers."""

    # ------------------------------------------------------------------
    # Validation data

    def _validation_split(self, X, y, sample_weight, eval_set, difficulty=None):
        """(X_train, y_train, sample_weight_train, difficulty_train,
        validation or None).

        eval_set wins over early_stopping's split: given explicitly, the
        training data is used whole.
        """
        if eval_set is not None:
            validation = self._validation_from_eval_set(eval_set)
            return X, y, sample_weight, difficulty, validation
        if not self.early_stopping:
            return X, y, sample_weight, difficulty, None
        # Multilabel targets are not stratified, as in scikit-learn.
        should_stratify = is_classifier(self) and self.n_outputs_ == 1
        extras = [array for array in (sample_weight, difficulty) if array is not None]
        split = train_test_split(
            X,
            y,
            *extras,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=y if should_stratify else None,
        )
        X_train, X_val, y_train, y_val = split[:4]
        split = iter(split[4:])
        sample_weight_train, sample_weight_val = (
            (next(split), next(split)) if sample_weight is not None else (None, None)
        )
        difficulty_train = next(split) if difficulty is not None else None
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        labels = (
            self._label_binarizer.inverse_transform(y_val)
            if is_classifier(self)
            else y_val
        )
        validation = _Validation(
            X_val,
            labels,
            sample_weight_val,
            as_dataset(X_val),
            as_float32(y_val),
        )
        return X_train, y_train, sample_weight_train, difficulty_train, validation

    def _validation_from_eval_set(self, eval_set):
        if not isinstance(eval_set, tuple | list) or len(eval_set) not in (2, 3):
            raise ValueError(
                "eval_set must be (X_val, y_val) or (X_val, y_val, sample_weight)."
            )
        X_val, y_val = eval_set[0], eval_set[1]
        X_val = validate_data(
            self,
            X_val,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        check_float32_range(X_val, "eval_set's X")
        y_val = np.asarray(y_val)
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"eval_set has {X_val.shape[0]} rows in X but {y_val.shape[0]} in y."
            )
        sample_weight = None
        if len(eval_set) == 3 and eval_set[2] is not None:
            sample_weight = _check_sample_weight(eval_set[2], X_val)
            check_sample_weight_for_float32(sample_weight, "eval_set's sample_weight")
        targets = self._validation_targets(y_val)
        check_finite_in_float32(targets, "eval_set's y")
        return _Validation(
            X_val, y_val, sample_weight, as_dataset(X_val), as_float32(targets)
        )

    # ------------------------------------------------------------------
    # Learning rate

    def _schedule(self):
        rate = self.learning_rate
        return rate if isinstance(rate, LearningRateSchedule) else None

    def _fit_schedule(self, n_batches, incremental):
        """The schedule with this fit's length (max_iter) in its unit.

        partial_fit has no length: a schedule that needs one fails here,
        before training.
        """
        schedule = self._schedule()
        if schedule is None:
            return None
        if incremental:
            schedule.rate(0, float(self.learning_rate_init))
            return schedule
        epochs = int(self.max_iter)
        return schedule._for_fit(
            epochs if schedule.unit == "epoch" else epochs * n_batches
        )

    def _rates_for_epoch(self, trainer, n_batches, schedule):
        """Set the engine's rate for the coming epoch.

        Returns one rate per minibatch for schedules in steps (the engine
        takes them with the epoch), else None.
        """
        if schedule is None:
            return None
        eta0 = float(self.learning_rate_init)
        if isinstance(schedule, ReduceLROnPlateau):
            trainer.learning_rate = self._plateau.rate
            return None
        if schedule.unit == "epoch":
            trainer.learning_rate = schedule.rate(self._scheduled_epochs, eta0)
            return None
        steps = np.arange(trainer.step, trainer.step + n_batches)
        return np.asarray(schedule.rate(steps, eta0), dtype=np.float64)

    def _trigger_stopping(self, message):
        """Stop, or for sgd with learning_rate='adaptive' divide the rate by 5."""
        trainer = self._trainer
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(message + " Stopping.")
            return True
        if trainer.learning_rate <= 1e-6:
            if self.verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        trainer.learning_rate /= 5.0
        if self.verbose:
            print(message + f" Setting learning rate to {trainer.learning_rate:f}")
        return False

    # ------------------------------------------------------------------
    # Monitoring and stopping

    def _monitor_name(self, validation):
        """The logged quantity that stopping and best weights follow."""
        if self.monitor != "auto":
            if self.monitor.startswith("val") and validation is None:
                raise ValueError(
                    f"monitor={self.monitor!r} needs validation data: set "
                    "early_stopping=True or pass fit(..., eval_set=(X_val, y_val))."
                )
            return self.monitor
        # scikit-learn's choice: the validation score when there is validation
        # data, else the training loss.
        return "val_score" if validation is not None else "train_loss"

    def _restores_best_weights(self, monitor):
        if self.restore_best_weights == "auto":
            # scikit-learn restores with early stopping, not on training loss.
            return monitor != "train_loss"
        return bool(self.restore_best_weights)

    def _evaluate(self, validation):
        """(val_loss, val_score) of the current weights on held-out data."""
        val_loss = _core.full_batch_loss(
            self._network,
            validation.data,
            validation.targets,
            as_float32(validation.sample_weight),
            self._engine_loss(),
            float(self.alpha),
            self._engine_threads(),
            float(self.l1),
        )
        if self.scoring is None:
            val_score = self._score(
                validation.X, validation.y, sample_weight=validation.sample_weight
            )
        else:
            # A scorer goes through the public predict, which takes coefs_ in
            # as the model: they must show the weights being trained.
            self._parameter_mirror.publish(self)
            scorer = check_scoring(self, scoring=self.scoring)
            weights = (
                {}
                if validation.sample_weight is None
                else {"sample_weight": validation.sample_weight}
            )
            val_score = scorer(self, validation.X, validation.y, **weights)
        return float(val_loss), float(val_score)

    def _update_no_improvement_count(self, logs, monitor, restore):
        """scikit-learn's rule, for any monitored quantity.

        A value counts as no improvement unless it beats the best by tol;
        the best (and, when restoring, its weights) follows every strict
        improvement.
        """
        if logs.get("val_score") is not None:
            self.validation_scores_.append(logs["val_score"])
            self.best_validation_score_ = max(
                self.best_validation_score_, logs["val_score"]
            )
            if self.verbose:
                print(f"Validation score: {logs['val_score']:f}")
        if not self.early_stopping and self.best_loss_ is not None:
            self.best_loss_ = min(self.best_loss_, logs["train_loss"])
        if logs["epoch"] <= self.start_from_epoch:
            return
        # Scores improve upwards, losses downwards: compare "quality".
        quality = logs[monitor] if monitor == "val_score" else -logs[monitor]
        if quality < self._best_quality + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if quality > self._best_quality:
            self._best_quality = quality
            if restore:
                # One copy of one arena holds every weight and bias.
                self._best_model = self._parameter_mirror.snapshot()

    # ------------------------------------------------------------------
    # Diagnostics

    def _diagnostics(self, trainer, before):
        """The epoch's global and per-layer diagnostics for history_.

        before is the arena at the epoch's start, so update_ratio is
        ‖ΔW‖ / ‖W‖ over the epoch (near 1e-3 is the literature's healthy rate).
        """
        statistics = trainer.statistics()
        steps = max(statistics["steps"], 1)
        changes = self._network.weight_changes(before)
        layers = []
        units = self._network.layer_units
        for layer, raw in enumerate(statistics["layers"]):
            weight_norm, previous_norm, change_norm = changes[layer]
            entry = {
                "weight_norm": weight_norm,
                "update_ratio": change_norm / previous_norm
                if previous_norm > 0
                else math.inf,
                "grad_norm": raw["gradient_norm_sum"] / steps,
            }
            count = raw["activation_count"]
            if layer < len(units) - 2 and count > 0:
                mean = raw["activation_sum"] / count
                variance = max(raw["activation_square_sum"] / count - mean * mean, 0.0)
                entry.update(
                    mean=mean,
                    std=math.sqrt(variance),
                    saturated=raw["saturated_count"] / count,
                    dead=1.0 - float(np.mean(raw["unit_active"])),
                )
            if "activation_histogram" in raw and layer < len(units) - 2:
                entry["activation_histogram"] = raw["activation_histogram"]
            if "gradient_histogram" in raw:
                entry["gradient_histogram"] = raw["gradient_histogram"]
            layers.append(entry)
        return {
            "grad_norm": statistics["gradient_norm_sum"] / steps,
            "layers": layers,
        }

    # ------------------------------------------------------------------
    # Interruption: an epoch counts once its history_ entry is in

    def _epoch_record(self):
        """What recording an epoch changes, as it is before the epoch."""
        scores = self.validation_scores_
        record = {
            "n_iter_": self.n_iter_,
            "t_": self.t_,
            "_scheduled_epochs": self._scheduled_epochs,
            "loss_curve_": len(self.loss_curve_),
            "history_": len(self.history_),
            "validation_scores_": None if scores is None else len(scores),
        }
        if "loss_" in self.__dict__:  # absent until a first epoch is recorded
            record["loss_"] = self.loss_
        return record

    def _forget_unrecorded_epoch(self, record):
        """Undo the records of an epoch that an exception cut short.

        The exception (Ctrl-C's KeyboardInterrupt, or any other) may come
        inside the epoch's training (the engine stops between minibatches)
        or anywhere before its history_ entry is appended. Its training stays
        in the weights, as scikit-learn keeps a cut epoch's, but n_iter_,
        loss_curve_ and history_ count only the epochs recorded whole, so
        their lengths agree.
        """
        if len(self.history_) > record["history_"]:
            return
        for name in ("n_iter_", "t_", "_scheduled_epochs"):
            setattr(self, name, record[name])
        if "loss_" in record:
            self.loss_ = record["loss_"]
        else:
            self.__dict__.pop("loss_", None)
        del self.loss_curve_[record["loss_curve_"] :]
        if record["validation_scores_"] is not None:
            del self.validation_scores_[record["validation_scores_"] :]

    # ------------------------------------------------------------------
    # The loop

    def _averages_in_epoch(self, epoch, incremental):
        """Whether the coming epoch (epoch of this fit) folds into the average.

        An integer averaging_start counts the model's epochs, over warm starts
        and partial_fit calls. 'auto' averages EMA from the start (its
        warm-up forgets the early iterates) and Polyak over the last quarter
        of the fit, as SWA does: a mean over the early, poor iterates costs
        more than it smooths. Each partial_fit call counts as an epoch of
        max_iter.
        """
        if self.averaging_start != "auto":
            return len(self.history_) >= self.averaging_start
        if self.averaging == "ema":
            return True
        epochs_done = len(self.history_) if incremental else epoch
        return epochs_done >= int(0.75 * self.max_iter)

    def _fit_stochastic(
        self,
        X,
        y,
        sample_weight,
        incremental,
        eval_set,
        difficulty=None,
        teacher=None,
    ):
        # With weight averaging the network trains on the raw iterates and
        # shows the average between epochs and after fit (ParameterMirror).
        mirror = self._parameter_mirror
        mirror.resume_raw_weights()
        fresh_trainer = not incremental or self.__dict__.get("_trainer") is None
        if fresh_trainer:
            self._trainer_options = self._trainer_options_from_parameters()
            self._trainer = self._new_trainer()
            self._scheduled_epochs = 0
            schedule = self._schedule()
            if isinstance(schedule, ReduceLROnPlateau):
                self._plateau = schedule.plateau_state(float(self.learning_rate_init))
        trainer = self._trainer

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X_train, y_train, sample_weight_train, difficulty, validation = (
            self._validation_split(X, y, sample_weight, eval_set, difficulty)
        )
        monitor = self._monitor_name(validation)
        restore = self._restores_best_weights(monitor)
        if validation is not None and self.validation_scores_ is None:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        if isinstance(self._schedule(), ReduceLROnPlateau):
            self._plateau_monitor(validation)  # fails before training, not after

        n_samples = X_train.shape[0]
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=3,
            )
        batch_size = self._batch_size(n_samples)
        n_batches = -(-n_samples // batch_size)
        schedule = self._fit_schedule(n_batches, incremental)

        # The teacher sees the rows that train, after any validation split.
        y_train, distilled = self._distillation_targets(X_train, y_train, teacher)
        data = as_dataset(X_train)
        targets = as_float32(y_train)
        weights = as_float32(sample_weight_train)
        annealed_names = annealed_fields(self)
        curriculum = None
        if difficulty is not None:
            curriculum = Curriculum(
                X_train, targets, weights, distilled, difficulty, self.curriculum
            )
        # The engine keys its shuffle (and dropout and noise) by this seed and
        # the trainer's epoch count, both kept for the trainer's life, so that
        # n calls to partial_fit run exactly fit's n epochs. Models pickled
        # before the seed was kept draw one on their next partial_fit.
        if fresh_trainer or self.__dict__.get("_shuffle_seed") is None:
            self._shuffle_seed = int(self._random_state.randint(SEED_BOUND))

        # Callbacks belong to fit; each fit works on fresh copies so that
        # stateful ones (early stopping, checkpoints) start anew.
        callbacks = [] if incremental else copy.deepcopy(list(self.callbacks or []))
        if self.progress_bar and not incremental:
            callbacks.append(ProgressBar(batches=self.progress_bar == "batch"))
        for callback in callbacks:
            callback.on_train_begin(self)

        # on_train_end runs however fit ends, so that callbacks holding
        # resources (a progress bar's thread, open files) release them.
        try:
            stop_reason = None
            self.n_iter_ = 0
            record = self._epoch_record()
            try:
                averaging = self._trainer_options.get("averaging", "none") != "none"
                for epoch in range(self.max_iter):
                    record = self._epoch_record()
                    mirror.resume_raw_weights()
                    if averaging:
                        trainer.averaging_active = self._averages_in_epoch(
                            epoch, incremental
                        )
                    epoch_data = (data, targets, weights, distilled, n_samples)
                    if curriculum is not None:
                        epoch_data = curriculum.epoch(
                            epoch, self.curriculum_epochs, epoch_data
                        )
                    epoch_samples = epoch_data[4]
                    annealed = (
                        anneal_epoch(
                            self,
                            annealed_names,
                            self._network,
                            trainer,
                            self._scheduled_epochs,
                        )
                        if annealed_names
                        else {}
                    )
                    rates = self._rates_for_epoch(
                        trainer, -(-epoch_samples // batch_size), schedule
                    )
                    epoch_rate = (
                        float(rates[0]) if rates is not None else trainer.learning_rate
                    )
                    last_finite = mirror.snapshot()
                    started = time.perf_counter()
                    self.loss_ = trainer.train_epoch(
                        *epoch_data[:3],
                        batch_size,
                        self.shuffle,
                        self._shuffle_seed,
                        self._scheduled_epochs,
                        rates,
                        epoch_data[3],
                    )
                    elapsed = time.perf_counter() - started
                    self._scheduled_epochs += 1
                    self.n_iter_ += 1
                    self.t_ += epoch_samples
                    self.loss_curve_.append(self.loss_)
                    if self.verbose:
                        print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

                    logs = {
                        "epoch": len(self.history_) + 1,
                        "train_loss": self.loss_,
                        "val_loss": None,
                        "val_score": None,
                        "lr": epoch_rate,
                        "epoch_time": elapsed,
                        "samples_per_s": epoch_samples / elapsed
                        if elapsed > 0
                        else math.inf,
                        "samples": epoch_samples,
                        **annealed,
                    }
                    # Weights can overflow within an epoch whose loss was still
                    # finite; either way the epoch before is the last good model.
                    diverged = not (
                        math.isfinite(self.loss_)
                        and np.isfinite(self._network.parameters).all()
                    )
                    if self.diagnostics and not diverged:
                        logs.update(self._diagnostics(trainer, last_finite[0]))
                    if diverged:
                        if validation is not None:
                            # scikit-learn scores a non-finite model NaN.
                            logs["val_loss"] = logs["val_score"] = math.nan
                            self.validation_scores_.append(math.nan)
                        self.history_.append(logs)
                        mirror.restore(last_finite)
                        stop_reason = "diverged"
                        break
                    mirror.show_averaged_weights(trainer)
                    if validation is not None:
                        logs["val_loss"], logs["val_score"] = self._evaluate(validation)
                    self.history_.append(logs)

                    self._update_no_improvement_count(logs, monitor, restore)
                    if self.solver == "sgd" and self.learning_rate == "invscaling":
                        trainer.learning_rate = (
                            float(self.learning_rate_init)
                            / (self.t_ + 1) ** self.power_t
                        )
                    if isinstance(self._schedule(), ReduceLROnPlateau):
                        self._plateau.update(logs[self._plateau_monitor(validation)])

                    if self._no_improvement_count > self.n_iter_no_change:
                        if monitor == "train_loss":
                            message = (
                                "Training loss did not improve more than "
                                f"tol={self.tol:f} for {self.n_iter_no_change} "
                                "consecutive epochs."
                            )
                        else:
                            quantity = "score" if monitor == "val_score" else "loss"
                            message = (
                                f"Validation {quantity} did not improve more than "
                                f"tol={self.tol:f} for {self.n_iter_no_change} "
                                "consecutive epochs."
                            )
                        if self._trigger_stopping(message):
                            stop_reason = "converged"
                            break
                        self._no_improvement_count = 0

                    if callbacks:
                        # Callbacks see (and may edit) coefs_ as they are now.
                        mirror.publish(self, writeable=True)
                        stop = [
                            callback.on_epoch_end(self, logs) for callback in callbacks
                        ]
                        mirror.sync(self)
                        if any(stop):
                            stop_reason = "callback"
                            break

                    if incremental:
                        break
                    if self.n_iter_ == self.max_iter:
                        warnings.warn(
                            "Stochastic Optimizer: Maximum iterations "
                            f"({self.max_iter}) reached and the optimization "
                            "hasn't converged yet.",
                            ConvergenceWarning,
                            stacklevel=3,
                        )
            except KeyboardInterrupt:
                # As in scikit-learn, the weights stay as trained so far, down
                # to the last minibatch the engine finished.
                warnings.warn("Training interrupted by user.", stacklevel=3)
                self._forget_unrecorded_epoch(record)
            except BaseException:
                self._forget_unrecorded_epoch(record)
                raise

            # A diverged average is no model: the last finite raw weights are.
            if stop_reason != "diverged":
                mirror.show_averaged_weights(trainer)
            # Nothing to restore when no epoch was ever monitored (start_from_epoch
            # beyond the last epoch): the trained weights are the model.
            keeps_best = restore and self._best_quality > -math.inf
            if keeps_best:
                mirror.restore(self._best_model)
            if stop_reason == "diverged":
                self._report_divergence(keeps_best)
        finally:
            # However fit ends, an exception included (an engine call stops
            # between minibatches for any a signal handler raises), coefs_
            # show the arena that predict and a pickle use.
            mirror.publish(self)
            for callback in callbacks:
                callback.on_train_end(self)

    def _report_divergence(self, keeps_best):
        """Warn with early_stopping, else raise, as scikit-learn.

        scikit-learn raises when its weights end non-finite, which with
        early_stopping they never do: it restores the best weights. fastdnn
        stops at the first non-finite epoch instead of running on to max_iter.
        """
        kept = (
            "the weights of the best epoch"
            if keeps_best
            else "the weights from before that epoch"
        )
        message = (
            f"Training diverged in epoch {self.n_iter_}: the training loss was "
            f"{self.loss_} and the weights overflowed or became NaN. Training "
            f"stopped; the model keeps {kept}. The input data may need to be "
            "preprocessed, or the learning rate may be too high."
        )
        if self.early_stopping:
            warnings.warn(message, ConvergenceWarning, stacklevel=4)
            return
        raise ValueError(
            message + " Solver produced non-finite parameter weights. The input "
            "data may contain large values and need to be preprocessed."
        )

    def _plateau_monitor(self, validation):
        name = self._plateau.schedule.monitor
        if name.startswith("val") and validation is None:
            raise ValueError(
                f"ReduceLROnPlateau(monitor={name!r}) needs validation data: set "
                "early_stopping=True or pass fit(..., eval_set=(X_val, y_val))."
            )
        return name
