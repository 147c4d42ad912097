"""Plain-language findings about a training run, read from ``history_``.

``fastdnn.diagnose(estimator)`` prints what the history shows (overfitting,
underfitting, a learning rate too high or too low, dead or saturated units,
exploding or vanishing gradients) and returns the findings. The thresholds
are the literature's rules of thumb, not certainties: each finding says what
was measured so the reader can judge.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from fastdnn import _core

__all__ = ["Finding", "diagnose", "histogram_bin_edges"]

# update_ratio = ‖ΔW‖/‖W‖ per epoch. Karpathy's rule of thumb is about 1e-3
# per step; over an epoch of many steps a healthy rate sits well below 1.
HIGH_UPDATE_RATIO = 1.0
LOW_UPDATE_RATIO = 1e-5
DEAD_FRACTION = 0.25
SATURATED_FRACTION = 0.5
VANISHING_RATIO = 1e-3
EXPLODING_GROWTH = 100.0


def histogram_bin_edges():
    """The bin edges of ``diagnostics='full'`` histograms, ascending.

    One bin per sign and binary order of magnitude (octaves 2**-24 to 2**8),
    a bin around zero, and open-ended outer bins: an array of 66 edges with
    ``-inf`` and ``inf`` at the ends for the 65 counts of each histogram.
    """
    return np.asarray(_core.histogram_bin_edges())


@dataclass(frozen=True)
class Finding:
    """One diagnosis: a short name and a sentence with the evidence.

    Parameters
    ----------
    kind : str
        The finding's name: 'overfitting', 'underfitting',
        'still-improving', 'learning-rate-too-high', 'dead-units', ...
    message : str
        What was measured and what would help, in plain words.
    """

    kind: str
    message: str

    def __str__(self):
        return f"[{self.kind}] {self.message}"


def _overfitting(history):
    val_losses = [h["val_loss"] for h in history if h.get("val_loss") is not None]
    if len(val_losses) < 4:
        return []
    best_epoch = min(range(len(val_losses)), key=val_losses.__getitem__)
    final_train, final_val = history[-1]["train_loss"], val_losses[-1]
    # The validation loss has turned upwards while training went on.
    stalled = best_epoch < len(val_losses) - 2
    rising = stalled and final_val > 1.1 * val_losses[best_epoch]
    gap = stalled and final_val > 2.0 * final_train
    if rising or gap:
        return [
            Finding(
                "overfitting",
                f"the validation loss was lowest ({val_losses[best_epoch]:.4g}) in "
                f"epoch {best_epoch + 1} of {len(val_losses)} and ended at "
                f"{final_val:.4g}, against a training loss of {final_train:.4g}: "
                "more regularisation (alpha), early stopping or more data would "
                "help.",
            )
        ]
    return []


def _underfitting(history):
    if len(history) < 3:
        return []
    first, last = history[0]["train_loss"], history[-1]["train_loss"]
    recent = history[-min(5, len(history))]["train_loss"]
    if last > first:
        return [
            Finding(
                "underfitting",
                f"the training loss rose from {first:.4g} to {last:.4g} instead "
                "of falling: the model did not learn. A loss that grows points "
                "to a learning rate too high (lower learning_rate_init) or "
                "unscaled inputs.",
            )
        ]
    if last > 0.9 * first:
        return [
            Finding(
                "underfitting",
                f"the training loss went from {first:.4g} to only {last:.4g}: "
                "the model barely learned. A larger learning rate, a larger "
                "network or more epochs may help.",
            )
        ]
    if recent - last > 0.05 * abs(recent):
        return [
            Finding(
                "still-improving",
                f"the training loss still fell from {recent:.4g} to {last:.4g} "
                "over the last epochs: training stopped before converging.",
            )
        ]
    return []


def _with_layers(history):
    """The epochs that have per-layer diagnostics (a diverged one has none)."""
    return [h for h in history if h.get("layers")]


def _learning_rate(history):
    losses = [h["train_loss"] for h in history]
    if not all(math.isfinite(loss) for loss in losses):
        return [
            Finding(
                "learning-rate-too-high",
                f"the training loss became {losses[-1]} in epoch "
                f"{history[-1]['epoch']}: training diverged. Lower "
                "learning_rate_init (or scale the inputs).",
            )
        ]
    history = _with_layers(history)
    if not history:
        return []
    # Any epoch counts: a rate that is too high does its damage early (weights
    # thrown further than their own size, units killed) and may look calm
    # afterwards.
    peak = max(
        (layer["update_ratio"], h["epoch"]) for h in history for layer in h["layers"]
    )
    unstable = len(losses) >= 3 and losses[-1] > min(losses) * 1.5
    if peak[0] > HIGH_UPDATE_RATIO or unstable:
        return [
            Finding(
                "learning-rate-too-high",
                f"in epoch {peak[1]} a layer's weights moved by {peak[0]:.3g} times "
                f"their norm, and the loss ended at {losses[-1]:.4g} against a best "
                f"of {min(losses):.4g}: lower learning_rate_init.",
            )
        ]
    last = max(layer["update_ratio"] for layer in history[-1]["layers"])
    if last < LOW_UPDATE_RATIO and len(history) > 1:
        return [
            Finding(
                "learning-rate-too-low",
                f"weights moved by at most {last:.2g} of their norm in the last "
                "epoch: raise learning_rate_init.",
            )
        ]
    return []


def _units(history, activation):
    findings = []
    history = _with_layers(history)
    for index, layer in enumerate(history[-1]["layers"] if history else []):
        dead = layer.get("dead")
        if dead is not None and dead > DEAD_FRACTION:
            findings.append(
                Finding(
                    "dead-units",
                    f"{dead:.0%} of hidden layer {index + 1}'s units gave no "
                    "output for any sample in the last epoch (dead ReLUs): lower "
                    "the learning rate, or use leaky_relu / He initialisation.",
                )
            )
        saturated = layer.get("saturated")
        name = activation if isinstance(activation, str) else activation[index]
        if (
            name in ("logistic", "tanh")
            and saturated is not None
            and saturated > SATURATED_FRACTION
        ):
            findings.append(
                Finding(
                    "saturated-units",
                    f"{saturated:.0%} of hidden layer {index + 1}'s outputs sit "
                    f"where {name}'s gradient vanishes: scale the inputs, "
                    "lower the learning rate or use relu.",
                )
            )
    return findings


def _gradients(history):
    history = _with_layers(history)
    if not history:
        return []
    layers = history[-1]["layers"]
    findings = []
    norms = [layer["grad_norm"] for layer in layers]
    if norms[-1] > 0 and norms[0] / norms[-1] < VANISHING_RATIO:
        findings.append(
            Finding(
                "vanishing-gradients",
                f"the first layer's gradient norm is {norms[0]:.2g}, the last's "
                f"{norms[-1]:.2g}: early layers barely learn. Normalisation, "
                "relu-like activations or a shallower net help.",
            )
        )
    first = history[0].get("grad_norm")
    last = history[-1].get("grad_norm")
    if (
        first
        and last is not None
        and (not math.isfinite(last) or last > EXPLODING_GROWTH * first)
    ):
        findings.append(
            Finding(
                "exploding-gradients",
                f"the gradient norm grew from {first:.3g} to {last:.3g}: lower the "
                "learning rate or clip gradients.",
            )
        )
    return findings


def diagnose(estimator, *, verbose=True):
    """Read a fitted estimator's ``history_`` and report what it shows.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor
        Trained with a stochastic solver (``history_`` exists); per-layer
        findings need ``diagnostics=True`` (the default).

    verbose : bool, default=True
        Print the findings.

    Returns
    -------
    findings : list of Finding
        Empty when nothing stands out.
    """
    check_is_fitted(estimator)
    history = getattr(estimator, "history_", None)
    if not history:
        raise ValueError(
            "diagnose reads history_, which only the stochastic solvers "
            "('sgd', 'adam') record."
        )
    findings = [
        *_learning_rate(history),
        *_overfitting(history),
        *_underfitting(history),
        *_units(history, estimator.activation),
        *_gradients(history),
    ]
    if verbose:
        if findings:
            for finding in findings:
                print(finding)
        else:
            print("Nothing stands out in this training run.")
    return findings
