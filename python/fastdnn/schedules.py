"""Learning-rate schedules: pass one as ``learning_rate=`` to either estimator.

A schedule is a plain, immutable description (it clones, pickles and works in
``GridSearchCV``); what changes during a fit lives in the estimator. Each one
gives the learning rate as a closed form of ``t``, counted from 0 in the
schedule's ``unit``: ``'epoch'`` (the rate changes between epochs) or
``'step'`` (it changes every minibatch). For step units the estimator computes
an epoch's rates in one vectorised call and hands them to the engine with the
epoch, so no minibatch waits on Python. ``eta0`` below is the estimator's
``learning_rate_init``.

``Anneal`` is the same idea for a regularizer's strength (input_noise,
dropout, input_dropout): a continuation method's sequence of objectives,
one value per epoch.

The strings ``'constant'``, ``'invscaling'`` and ``'adaptive'`` keep their
scikit-learn meaning. ``solver='lbfgs'`` has no learning rate and ignores the
schedule.
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "Anneal",
    "Constant",
    "CosineAnnealing",
    "ExponentialDecay",
    "InverseSqrtDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "LinearDecay",
    "MultiStepDecay",
    "OneCycle",
    "PolynomialDecay",
    "ReduceLROnPlateau",
    "StepDecay",
    "Warmup",
]

_UNITS = ("epoch", "step")


def _check_unit(unit):
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'epoch' or 'step', got {unit!r}.")
    return unit


def _check_positive(name, value, *, integer=False, allow_zero=False):
    kind = Integral if integer else Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return value


class LearningRateSchedule:
    """Base class: the learning rate as a function of t in ``unit``.

    Subclasses implement ``_rates(t, eta0)`` for a 1-d float64 array of t
    (vectorised, so an epoch's per-step rates are one call) and store their
    constructor arguments as attributes of the same name (``__repr__`` and
    equality use them).
    """

    unit = "epoch"

    def rate(self, t, eta0):
        """The learning rate at each t (an int or an array of ints).

        Parameters
        ----------
        t : int or ndarray of int
            Epochs or steps (per ``unit``) already taken, counted from 0.

        eta0 : float
            The estimator's ``learning_rate_init``.

        Returns
        -------
        rate : float or ndarray of float
        """
        # A scalar t goes through numpy's array loops too: numpy's scalar
        # power and its SIMD array power can differ in the last bit (they do
        # on AVX-512), and a step schedule's logged rate must be the one the
        # engine trained with.
        times = np.asarray(t, dtype=np.float64)
        rates = self._rates(np.atleast_1d(times).ravel(), eta0)
        return float(rates[0]) if times.ndim == 0 else rates.reshape(times.shape)

    def _rates(self, t, eta0):
        raise NotImplementedError

    def _for_fit(self, length):
        """The schedule a fit follows, `length` its max_iter in ``unit``.

        Schedules whose shape spans the training (OneCycle without
        total_steps) take the fit's length here; the others are the same.
        """
        return self

    def _arguments(self):
        return {
            name: getattr(self, name)
            for name in self.__init__.__code__.co_varnames[
                1 : self.__init__.__code__.co_argcount
            ]
        }

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self._arguments().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


class Constant(LearningRateSchedule):
    """eta0 throughout.

    Parameters
    ----------
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, unit="epoch"):
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        return np.full(np.shape(t), float(eta0))


class StepDecay(LearningRateSchedule):
    """eta0 · gamma^⌊t / step_size⌋: drop by gamma every step_size units.

    Parameters
    ----------
    step_size : int
        Units between drops, > 0.
    gamma : float, default=0.1
        The factor of each drop, > 0.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, step_size, gamma=0.1, unit="epoch"):
        self.step_size = _check_positive("step_size", step_size, integer=True)
        self.gamma = _check_positive("gamma", gamma)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        return eta0 * self.gamma ** np.floor(t / self.step_size)


class MultiStepDecay(LearningRateSchedule):
    """eta0 · gamma^(number of milestones ≤ t).

    Parameters
    ----------
    milestones : sequence of int
        The values of t at which the rate drops, increasing, >= 0.
    gamma : float, default=0.1
        The factor of each drop, > 0.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, milestones, gamma=0.1, unit="epoch"):
        milestones = tuple(int(m) for m in milestones)
        if list(milestones) != sorted(milestones) or any(m < 0 for m in milestones):
            raise ValueError(
                f"milestones must be increasing and >= 0, got {milestones!r}."
            )
        self.milestones = milestones
        self.gamma = _check_positive("gamma", gamma)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        passed = np.searchsorted(self.milestones, t, side="right")
        return eta0 * self.gamma**passed


class ExponentialDecay(LearningRateSchedule):
    """eta0 · decay_rate^(t / decay_steps).

    Parameters
    ----------
    decay_rate : float
        The factor per decay_steps units, > 0.
    decay_steps : float, default=1
        Units over which the rate is multiplied by decay_rate, > 0.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, decay_rate, decay_steps=1, unit="epoch"):
        self.decay_rate = _check_positive("decay_rate", decay_rate)
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        return eta0 * self.decay_rate ** (t / self.decay_steps)


class InverseTimeDecay(LearningRateSchedule):
    """eta0 / (1 + decay_rate · t / decay_steps)^power: power scheduling.

    Parameters
    ----------
    decay_rate : float
        >= 0; 0 keeps the rate at eta0.
    decay_steps : float, default=1
        > 0.
    power : float, default=1.0
        >= 0.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, decay_rate, decay_steps=1, power=1.0, unit="epoch"):
        self.decay_rate = _check_positive("decay_rate", decay_rate, allow_zero=True)
        self.decay_steps = _check_positive("decay_steps", decay_steps)
        self.power = _check_positive("power", power, allow_zero=True)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        base = 1.0 + self.decay_rate * t / self.decay_steps
        return eta0 / base**self.power


class InverseSqrtDecay(LearningRateSchedule):
    """eta0 / sqrt(t + 1); with warmup w > 0, eta0 · min((t+1)/w, sqrt(w/(t+1))).

    The warm-up form is the Transformer's ("Attention is all you need"): a
    linear rise to eta0 over w units, then decay as 1/sqrt(t).

    Parameters
    ----------
    warmup : int, default=0
        Units of linear rise, >= 0; 0 decays from the start.
    unit : {'epoch', 'step'}, default='step'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, warmup=0, unit="step"):
        self.warmup = _check_positive("warmup", warmup, integer=True, allow_zero=True)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        t1 = t + 1.0
        if self.warmup == 0:
            return eta0 / np.sqrt(t1)
        return eta0 * np.minimum(t1 / self.warmup, np.sqrt(self.warmup / t1))


class LinearDecay(LearningRateSchedule):
    """eta0 + (end_lr − eta0) · min(t, steps) / steps: linear to a floor.

    Parameters
    ----------
    end_lr : float
        The rate from t = steps on, >= 0.
    steps : int
        Units to reach end_lr, > 0.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, end_lr, steps, unit="epoch"):
        self.end_lr = _check_positive("end_lr", end_lr, allow_zero=True)
        self.steps = _check_positive("steps", steps, integer=True)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        fraction = np.minimum(t, self.steps) / self.steps
        return eta0 + (self.end_lr - eta0) * fraction


class PolynomialDecay(LearningRateSchedule):
    """(eta0 − end_lr) · (1 − min(t, steps)/steps)^power + end_lr.

    Parameters
    ----------
    end_lr : float
        The rate from t = steps on, >= 0.
    steps : int
        Units to reach end_lr, > 0.
    power : float, default=1.0
        The polynomial's power, > 0; 1 is a linear decay.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, end_lr, steps, power=1.0, unit="epoch"):
        self.end_lr = _check_positive("end_lr", end_lr, allow_zero=True)
        self.steps = _check_positive("steps", steps, integer=True)
        self.power = _check_positive("power", power)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        remaining = 1.0 - np.minimum(t, self.steps) / self.steps
        return (eta0 - self.end_lr) * remaining**self.power + self.end_lr


class CosineAnnealing(LearningRateSchedule):
    """eta_min + (eta0 − eta_min) · (1 + cos(π t / t_max)) / 2.

    Without restarts the rate stays at eta_min after t_max; with restarts
    (SGDR, Loshchilov & Hutter 2017) it jumps back to eta0 every t_max units.

    Parameters
    ----------
    t_max : int
        Units of one descent from eta0 to eta_min, > 0.
    eta_min : float, default=0.0
        The lowest rate, >= 0.
    restarts : bool, default=False
        Whether the rate jumps back to eta0 every t_max units.
    unit : {'epoch', 'step'}, default='epoch'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(self, t_max, eta_min=0.0, restarts=False, unit="epoch"):
        self.t_max = _check_positive("t_max", t_max, integer=True)
        self.eta_min = _check_positive("eta_min", eta_min, allow_zero=True)
        self.restarts = bool(restarts)
        self.unit = _check_unit(unit)

    def _rates(self, t, eta0):
        phase = np.mod(t, self.t_max) if self.restarts else np.minimum(t, self.t_max)
        cosine = (1.0 + np.cos(math.pi * phase / self.t_max)) / 2.0
        return self.eta_min + (eta0 - self.eta_min) * cosine


class OneCycle(LearningRateSchedule):
    """Smith's one-cycle policy (Smith & Topin 2019), with cosine phases.

    The rate rises from max_lr / div_factor to max_lr over the first
    pct_start of total_steps units, then falls to
    max_lr / (div_factor · final_div_factor) by total_steps, and stays there.
    max_lr=None takes eta0 (the estimator's learning_rate_init); otherwise
    eta0 is not used. total_steps=None takes the fit's length: max_iter
    epochs, or max_iter times the minibatches per epoch for unit='step' (a
    fit that stops early ends before the cycle does); partial_fit, which has
    no length, needs total_steps.

    Parameters
    ----------
    max_lr : float or None, default=None
        The peak rate, > 0; None takes the estimator's learning_rate_init.
    total_steps : int or None, default=None
        The cycle's length in units, > 0; None takes the fit's length.
    pct_start : float, default=0.3
        The fraction of the cycle spent rising, in (0, 1).
    div_factor : float, default=25.0
        The starting rate is max_lr / div_factor.
    final_div_factor : float, default=1e4
        The final rate is the starting rate / final_div_factor.
    unit : {'epoch', 'step'}, default='step'
        What t counts: epochs, or minibatch steps.
    """

    def __init__(
        self,
        max_lr=None,
        total_steps=None,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        unit="step",
    ):
        if max_lr is not None:
            _check_positive("max_lr", max_lr)
        self.max_lr = max_lr
        if total_steps is not None:
            _check_positive("total_steps", total_steps, integer=True)
        self.total_steps = total_steps
        if not 0 < pct_start < 1:
            raise ValueError(f"pct_start must be in (0, 1), got {pct_start!r}.")
        self.pct_start = pct_start
        self.div_factor = _check_positive("div_factor", div_factor)
        self.final_div_factor = _check_positive("final_div_factor", final_div_factor)
        self.unit = _check_unit(unit)

    def _for_fit(self, length):
        if self.total_steps is not None:
            return self
        return OneCycle(**{**self._arguments(), "total_steps": length})

    def _rates(self, t, eta0):
        total = self.total_steps
        if total is None:
            raise ValueError(
                "OneCycle(total_steps=None) takes the fit's length (max_iter), "
                "so it has no rates outside fit; partial_fit has no length: "
                "give total_steps."
            )
        max_lr = eta0 if self.max_lr is None else self.max_lr
        t = np.minimum(t, total)
        start = max_lr / self.div_factor
        end = start / self.final_div_factor
        rise = self.pct_start * total
        up = np.clip(t / rise, 0.0, 1.0)
        down = np.clip((t - rise) / (total - rise), 0.0, 1.0)
        rising = start + (max_lr - start) * (1.0 - np.cos(math.pi * up)) / 2.0
        falling = end + (max_lr - end) * (1.0 + np.cos(math.pi * down)) / 2.0
        return np.where(t < rise, rising, falling)


class Warmup(LearningRateSchedule):
    """A linear rise over the first `steps` units, then `schedule` from t = 0.

    During warm-up the rate is (t + 1) / steps times the wrapped schedule's
    first rate; the wrapped schedule's unit is used.

    Parameters
    ----------
    schedule : LearningRateSchedule
        The schedule that follows the warm-up (not ReduceLROnPlateau).
    steps : int
        Units of warm-up, in the wrapped schedule's unit, > 0.
    """

    def __init__(self, schedule, steps):
        if not isinstance(schedule, LearningRateSchedule):
            raise ValueError("schedule must be a LearningRateSchedule.")
        if isinstance(schedule, ReduceLROnPlateau):
            raise ValueError(
                "ReduceLROnPlateau reacts to scores; it cannot be warmed up."
            )
        self.schedule = schedule
        self.steps = _check_positive("steps", steps, integer=True)

    @property
    def unit(self):
        return self.schedule.unit

    def _for_fit(self, length):
        # The wrapped schedule starts after the warm-up.
        return Warmup(self.schedule._for_fit(max(length - self.steps, 1)), self.steps)

    def _rates(self, t, eta0):
        warming = self.schedule.rate(0, eta0) * (t + 1.0) / self.steps
        after = self.schedule.rate(np.maximum(t - self.steps, 0.0), eta0)
        return np.where(t < self.steps, warming, after)


class ReduceLROnPlateau(LearningRateSchedule):
    """Performance scheduling: multiply the rate by `factor` on a plateau.

    After `patience` epochs in which `monitor` did not improve by more than
    `min_delta` (loss: decrease; score: increase), the rate is multiplied by
    `factor` (never below `min_lr`), then nothing changes for `cooldown`
    epochs. `monitor` is 'val_loss', 'val_score' or 'train_loss'; the
    validation ones need early_stopping or an eval_set.

    Parameters
    ----------
    monitor : {'val_loss', 'val_score', 'train_loss'}, default='val_loss'
        The value watched at the end of each epoch.
    factor : float, default=0.1
        The rate's factor on a plateau, in (0, 1).
    patience : int, default=10
        Epochs without improvement before the rate drops, >= 0.
    min_delta : float, default=1e-4
        The least change that counts as an improvement, >= 0.
    cooldown : int, default=0
        Epochs after a drop during which nothing changes, >= 0.
    min_lr : float, default=0.0
        The rate never drops below this, >= 0.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        if monitor not in ("val_loss", "val_score", "train_loss"):
            raise ValueError(
                "monitor must be 'val_loss', 'val_score' or 'train_loss', "
                f"got {monitor!r}."
            )
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor!r}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = _check_positive(
            "patience", patience, integer=True, allow_zero=True
        )
        self.min_delta = _check_positive("min_delta", min_delta, allow_zero=True)
        self.cooldown = _check_positive(
            "cooldown", cooldown, integer=True, allow_zero=True
        )
        self.min_lr = _check_positive("min_lr", min_lr, allow_zero=True)

    def _rates(self, t, eta0):
        # Without scores the rate is eta0; the estimator drives the reductions
        # through plateau_state().
        return np.full(np.shape(t), float(eta0))

    def plateau_state(self, eta0):
        """A fresh per-fit state that tracks the monitored value.

        Parameters
        ----------
        eta0 : float
            The estimator's ``learning_rate_init``, the rate to start from.

        Returns
        -------
        state
            Its ``update(value)`` takes an epoch's monitored value and
            returns the rate for the next epoch.
        """
        return _PlateauState(self, eta0)


class _PlateauState:
    """What ReduceLROnPlateau remembers during one fit."""

    def __init__(self, schedule, eta0):
        self.schedule = schedule
        self.rate = float(eta0)
        self.best = math.inf
        self.epochs_without_improvement = 0
        self.cooldown_left = 0

    def update(self, value):
        """Takes the epoch's monitored value; returns the rate for the next."""
        schedule = self.schedule
        loss_like = schedule.monitor != "val_score"
        quality = value if loss_like else -value
        if quality < self.best - schedule.min_delta:
            self.best = quality
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.epochs_without_improvement = 0
        elif self.epochs_without_improvement > schedule.patience:
            self.rate = max(self.rate * schedule.factor, schedule.min_lr)
            self.cooldown_left = schedule.cooldown
            self.epochs_without_improvement = 0
        return self.rate


class Anneal:
    """A regularizer's strength moved from ``start`` to ``end`` over epochs.

    Pass one as ``input_noise``, ``dropout`` or ``input_dropout`` (the
    parameters listed in ``fastdnn._annealing.ANNEALABLE``): epoch e of a fit
    (counted from 0) trains with ``value(e)``, and ``history_`` records it
    under the parameter's name. Starting easy (heavy noise smooths the loss,
    no noise keeps it sharp, depending on the goal) and moving to the
    objective of interest is the continuation method of the literature.

    Parameters
    ----------
    start : float
        The value of the first epoch.

    end : float
        The value from epoch ``epochs`` on.

    epochs : int
        Epochs the move takes.

    shape : {'linear', 'cosine'}, default='linear'
        How the value moves: in equal steps, or along half a cosine (slow at
        both ends).
    """

    def __init__(self, start, end, epochs, shape="linear"):
        self.start = start
        self.end = end
        self.epochs = epochs
        self.shape = shape

    def _check(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if (
                not isinstance(value, Real)
                or isinstance(value, bool)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(
                    f"Anneal's {name} must be a finite number >= 0, got {value!r}."
                )
        _check_positive("Anneal's epochs", self.epochs, integer=True)
        if self.shape not in ("linear", "cosine"):
            raise ValueError(
                f"Anneal's shape must be 'linear' or 'cosine', got {self.shape!r}."
            )

    def value(self, epoch):
        """The value for epoch ``epoch`` of a fit.

        Parameters
        ----------
        epoch : int
            Epochs already taken, counted from 0.

        Returns
        -------
        value : float
            ``start`` at epoch 0, ``end`` from epoch ``epochs`` on.
        """
        self._check()
        progress = min(epoch / self.epochs, 1.0)
        if self.shape == "cosine":
            progress = (1.0 - math.cos(math.pi * progress)) / 2.0
        return float(self.start + (self.end - self.start) * progress)

    def __repr__(self):
        return (
            f"Anneal(start={self.start!r}, end={self.end!r}, epochs={self.epochs!r}, "
            f"shape={self.shape!r})"
        )

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))
