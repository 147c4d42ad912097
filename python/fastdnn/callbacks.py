"""Callbacks: code that runs between epochs of a stochastic fit.

Pass a list as the ``callbacks=`` constructor parameter. Each callback may
define::

    on_train_begin(estimator)
    on_epoch_end(estimator, logs) -> bool   # True stops training
    on_train_end(estimator)                 # also when fit raises

``logs`` is the epoch's entry of ``history_`` (``epoch``, ``train_loss``,
``val_loss``, ``val_score``, ``lr``, ``epoch_time``, ...). Callbacks are
constructor parameters, so ``clone`` and ``GridSearchCV`` work; the estimator
deep-copies the list at the start of each fit, so a stateful callback starts
fresh every fit and one estimator can be cross-validated.
"""

import csv
import math
import os
import threading

import joblib

__all__ = [
    "Callback",
    "CSVLogger",
    "EarlyStopping",
    "LambdaCallback",
    "ModelCheckpoint",
    "ProgressBar",
    "TerminateOnNaN",
]


def _monitored_value(logs, monitor):
    value = logs.get(monitor)
    if value is None:
        raise ValueError(
            f"monitor={monitor!r} is not in this fit's logs; validation values "
            "need early_stopping=True or fit(..., eval_set=(X_val, y_val))."
        )
    return value


def _resolved_monitor(monitor, logs):
    """'auto' is the validation loss when the fit has validation data
    (early_stopping=True or an eval_set), else the training loss."""
    if monitor != "auto":
        return monitor
    return "val_loss" if logs.get("val_loss") is not None else "train_loss"


def _is_improvement(value, best, monitor, min_delta):
    """Scores improve upwards, losses downwards, by more than min_delta."""
    if monitor.endswith("score"):
        return value > best + min_delta
    return value < best - min_delta


def _worst(monitor):
    return -math.inf if monitor.endswith("score") else math.inf


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, estimator):
        pass

    def on_epoch_end(self, estimator, logs):
        return False

    def on_train_end(self, estimator):
        pass

    def __repr__(self):
        arguments = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self.__init__.__code__.co_varnames[
                1 : self.__init__.__code__.co_argcount
            ]
        )
        return f"{type(self).__name__}({arguments})"


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by min_delta for `patience` epochs.

    The same rule as the estimators' own early stopping, for those who compose
    callbacks. With restore_best_weights, the weights of the best epoch are put
    back when training ends (by this callback's stop or otherwise).

    Parameters
    ----------
    monitor : {'auto', 'val_loss', 'val_score', 'train_loss'}, default='auto'
        'auto': 'val_loss' when the fit has validation data
        (early_stopping=True or an eval_set), else 'train_loss'.
    patience : int, default=10
    min_delta : float, default=1e-4
    restore_best_weights : bool, default=True
    start_from_epoch : int, default=0
        Epochs before this one are neither counted nor remembered as best.

    Attributes
    ----------
    monitor_ : str
        The value monitored in the last fit, 'auto' resolved.
    """

    def __init__(
        self,
        monitor="auto",
        patience=10,
        min_delta=1e-4,
        restore_best_weights=True,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, estimator):
        self.monitor_ = self.monitor
        self.best_ = _worst(self.monitor)  # 'auto' watches a loss
        self.best_epoch_ = None
        self.wait_ = 0
        self._best_model = None

    def on_epoch_end(self, estimator, logs):
        self.monitor_ = _resolved_monitor(self.monitor, logs)
        if logs["epoch"] <= self.start_from_epoch:
            return False
        value = _monitored_value(logs, self.monitor_)
        if _is_improvement(value, self.best_, self.monitor_, self.min_delta):
            self.best_, self.best_epoch_, self.wait_ = value, logs["epoch"], 0
            if self.restore_best_weights:
                self._best_model = estimator._parameter_mirror.snapshot()
            return False
        self.wait_ += 1
        return self.wait_ >= self.patience

    def on_train_end(self, estimator):
        if self.restore_best_weights and self._best_model is not None:
            estimator._parameter_mirror.restore(self._best_model)
            estimator._parameter_mirror.publish(estimator)


class TerminateOnNaN(Callback):
    """Stop as soon as an epoch's training loss is NaN or infinite.

    The estimators already do this (and restore the last finite weights); the
    callback exists for those who compose their own list.
    """

    def on_epoch_end(self, estimator, logs):
        return not math.isfinite(logs["train_loss"])


class LambdaCallback(Callback):
    """A callback from plain functions (any of them may be None).

    Parameters
    ----------
    on_train_begin : callable or None, default=None
        Called as ``on_train_begin(estimator)`` before the first epoch.
    on_epoch_end : callable or None, default=None
        Called as ``on_epoch_end(estimator, logs)`` after each epoch; a true
        result stops training.
    on_train_end : callable or None, default=None
        Called as ``on_train_end(estimator)`` when fit ends, also when it
        raises.
    """

    def __init__(self, on_train_begin=None, on_epoch_end=None, on_train_end=None):
        self.on_train_begin_function = on_train_begin
        self.on_epoch_end_function = on_epoch_end
        self.on_train_end_function = on_train_end

    def on_train_begin(self, estimator):
        if self.on_train_begin_function is not None:
            self.on_train_begin_function(estimator)

    def on_epoch_end(self, estimator, logs):
        if self.on_epoch_end_function is None:
            return False
        return bool(self.on_epoch_end_function(estimator, logs))

    def on_train_end(self, estimator):
        if self.on_train_end_function is not None:
            self.on_train_end_function(estimator)

    def __repr__(self):
        return (
            f"LambdaCallback(on_train_begin={self.on_train_begin_function!r}, "
            f"on_epoch_end={self.on_epoch_end_function!r}, "
            f"on_train_end={self.on_train_end_function!r})"
        )


class CSVLogger(Callback):
    """Write each epoch's scalar logs as a row of a CSV file.

    Parameters
    ----------
    path : str or path-like
    append : bool, default=False
        Append to an existing file instead of starting it anew.
    """

    def __init__(self, path, append=False):
        self.path = path
        self.append = append

    def on_train_begin(self, estimator):
        self._columns = None
        if not self.append and os.path.exists(self.path):
            os.remove(self.path)

    def on_epoch_end(self, estimator, logs):
        row = {k: v for k, v in logs.items() if isinstance(v, int | float | None)}
        new_file = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        if self._columns is None:
            self._columns = list(row)
        with open(self.path, "a", newline="") as stream:
            writer = csv.DictWriter(
                stream, fieldnames=self._columns, extrasaction="ignore"
            )
            if new_file:
                writer.writeheader()
            writer.writerow(row)
        return False


class ModelCheckpoint(Callback):
    """Save the estimator with joblib after epochs that improve `monitor`.

    Parameters
    ----------
    path : str or path-like
        Where to save; ``{epoch}`` in it is replaced by the epoch number.
    monitor : {'auto', 'val_loss', 'val_score', 'train_loss'}, default='auto'
        'auto': 'val_loss' when the fit has validation data
        (early_stopping=True or an eval_set), else 'train_loss'.
    save_best_only : bool, default=True
        Save only when the monitored value improves; otherwise every epoch.

    Attributes
    ----------
    monitor_ : str
        The value monitored in the last fit, 'auto' resolved.
    """

    def __init__(self, path, monitor="auto", save_best_only=True):
        self.path = path
        self.monitor = monitor
        self.save_best_only = save_best_only

    def on_train_begin(self, estimator):
        self.monitor_ = self.monitor
        self.best_ = _worst(self.monitor)  # 'auto' watches a loss

    def on_epoch_end(self, estimator, logs):
        self.monitor_ = _resolved_monitor(self.monitor, logs)
        if self.save_best_only:
            value = _monitored_value(logs, self.monitor_)
            if not _is_improvement(value, self.best_, self.monitor_, 0.0):
                return False
            self.best_ = value
        estimator._parameter_mirror.publish(estimator)
        joblib.dump(estimator, str(self.path).format(epoch=logs["epoch"]))
        return False


class ProgressBar(Callback):
    """A tqdm bar over epochs on stderr (loss, validation score, rate).

    The estimators' ``progress_bar=True`` adds one; tqdm is an optional
    dependency (``pip install fastdnn[progress]``).

    Parameters
    ----------
    total : int, default=None
        The number of epochs the bar counts to; None takes ``max_iter``.
    batches : bool, default=False
        Also show a second bar over the minibatches of the running epoch
        (``progress_bar='batch'``), for epochs long enough to wait on. The
        engine counts the minibatches it has finished and a background thread
        reads that count ten times a second, so the epoch itself never calls
        back into Python.
    """

    POLL_SECONDS = 0.1

    def __init__(self, total=None, batches=False):
        self.total = total
        self.batches = batches

    def on_train_begin(self, estimator):
        try:
            from tqdm.auto import tqdm
        except ImportError as error:
            raise ImportError(
                "progress_bar needs tqdm: pip install 'fastdnn[progress]'"
            ) from error
        self._bar = tqdm(total=self.total or estimator.max_iter, unit="epoch")
        self._batch_bar = None
        if self.batches:
            self._batch_bar = tqdm(unit="batch", leave=False, position=1)
            self._stop = threading.Event()
            self._poller = threading.Thread(
                target=self._poll, args=(estimator._trainer,), daemon=True
            )
            self._poller.start()

    def _poll(self, trainer):
        while not self._stop.wait(self.POLL_SECONDS):
            done, total = trainer.batches_done, trainer.batches_in_epoch
            if self._batch_bar.total != total or done < self._batch_bar.n:
                self._batch_bar.reset(total=total)
            self._batch_bar.update(done - self._batch_bar.n)

    def on_epoch_end(self, estimator, logs):
        postfix = {"loss": f"{logs['train_loss']:.4g}", "lr": f"{logs['lr']:.3g}"}
        if logs.get("val_score") is not None:
            postfix["val_score"] = f"{logs['val_score']:.4g}"
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update(1)
        return False

    def on_train_end(self, estimator):
        if self._batch_bar is not None:
            self._stop.set()
            self._poller.join()
            self._batch_bar.close()
        self._bar.close()
