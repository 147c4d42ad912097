"""``check_gradients``: the engine's backpropagation against central
differences of its own loss, the debugging tool of the training literature.

The engine computes in float32, so the differences are taken in float32 too,
with a step near float32's machine epsilon to the power 1/3, the step that
balances the method's truncation error (growing as h² times the loss's third
derivative) against the rounding of the loss (growing as 1/h). Every
layer's block of the arena (weights, bias, normalization parameters) is
checked on up to ``max_parameters_per_layer`` entries drawn at random.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from fastdnn._parameter_mirror import ParameterMirror
from fastdnn._stochastic import as_dataset, as_float32

# Central differences are most accurate at h ≈ eps^(1/3)·(curvature scale)
# (Press et al., Numerical Recipes, 5.7): about 5e-3 for float32 and a loss
# of unit scale. Normalization over groups of a few units curves faster, and
# wants a smaller step: 2e-3 (docs/training_techniques_engine.md).
DEFAULT_EPSILON = 2e-3
# A float32 gradient that is right differs from its central differences by
# far less: above this, suspect the backward pass.
SUSPICIOUS_ERROR = 1e-2
# Activations whose derivative jumps at 0: a difference whose two points fall
# on either side of such a kink measures no derivative (CS231n, "kinks").
KINKED_ACTIVATIONS = ("relu", "leaky_relu", "selu")

_GUIDANCE = """\
relative error = |g_engine - g_numeric| / max(|g_engine|, |g_numeric|), the
norms over the entries checked of each layer. CS231n's scale, for float64:
above 1e-2 the gradient is probably wrong; 1e-4 to 1e-2 is uncomfortable;
below 1e-4 is usual for objectives with kinks (relu, L1), below 1e-7 for
smooth ones. The engine computes in float32 (rounding ~6e-8), which moves
that scale up: a correct float32 gradient shows about 1e-5 to 1e-3 here;
above 1e-2, suspect a bug."""


@dataclass
class GradientCheckResult:
    """What ``check_gradients`` found.

    Parameters
    ----------
    layers : list of dict
        Per weight layer: ``layer`` (the index into ``coefs_``),
        ``parameters`` (its entries in the arena: weights, bias and any
        normalization parameters), ``checked`` (how many were compared),
        ``skipped_at_kinks`` (drawn entries whose differences crossed a
        relu-like kink, left out), ``relative_error`` and
        ``max_absolute_error``.
    max_relative_error : float
        The largest layer's relative error.
    epsilon : float
        The step of the central differences.
    loss : float
        The loss at the parameters checked.
    """

    layers: list = field(default_factory=list)
    max_relative_error: float = 0.0
    epsilon: float = DEFAULT_EPSILON
    loss: float = float("nan")

    @property
    def passed(self):
        """Whether every layer's relative error is below 1e-2."""
        return self.max_relative_error < SUSPICIOUS_ERROR

    def __str__(self):
        verdict = (
            "consistent with a correct gradient"
            if self.passed
            else "SUSPICIOUS: a backward pass is probably wrong"
        )
        lines = [
            f"Gradient check (float32 central differences, epsilon={self.epsilon:.3g}):"
            f" max relative error {self.max_relative_error:.2e}, {verdict}.",
            "  layer  parameters  checked  at kinks  relative error  max abs error",
        ]
        for entry in self.layers:
            flag = (
                "  <-- suspicious"
                if entry["relative_error"] >= SUSPICIOUS_ERROR
                else ""
            )
            lines.append(
                f"  {entry['layer']:>5}  {entry['parameters']:>10}"
                f"  {entry['checked']:>7}  {entry['skipped_at_kinks']:>8}"
                f"  {entry['relative_error']:>14.2e}"
                f"  {entry['max_absolute_error']:>13.2e}{flag}"
            )
        return "\n".join(lines) + "\n" + _GUIDANCE

    __repr__ = __str__


def _engine_loss_and_gradient(model, network, data, targets, sample_weight):
    """The engine's training loss and gradient at the network's parameters:
    the rows as full batches (batch norm's statistics of them), dropout and
    noise drawn from one fixed key, so the loss is a function of the
    parameters alone. Tests replace this to plant a wrong derivative."""
    return network.loss_and_gradient(
        data,
        targets,
        sample_weight,
        model._engine_loss(),
        float(model.alpha),
        model._engine_threads(),
        l1=float(model.l1),
        label_smoothing=float(getattr(model, "label_smoothing", 0.0)),
    )


def _kink_sides(network, data):
    """Which side of 0 every hidden unit's pre-activation lies on, for every
    row, when the hidden activations have kinks and the layer's output shows
    that side (relu-like f(z) > 0 exactly where z > 0); else None.
    Normalization after the activation and residual sums hide it."""
    options = network.layer_options
    if (
        not set(network.hidden_activations) & set(KINKED_ACTIVATIONS)
        or options["normalize_after_activation"]
        or options["residual"]
    ):
        return None
    return np.concatenate(
        [(output > 0).ravel() for output in network.training_activations(data)]
    )


def _model_and_targets(estimator, X, y):
    """A copy of the estimator to perturb (fitted, or freshly initialised)
    and X, y as its engine takes them."""
    if "_network" in estimator.__dict__:
        model = copy.deepcopy(estimator)
        X, targets = model._validate_input(X, y, incremental=True, reset=False)
    else:
        model = clone(estimator)
        X, targets = model._validate_input(X, y, incremental=False, reset=True)
        targets = targets.reshape(len(targets), -1)
        model._parameter_mirror = ParameterMirror()
        model._random_state = check_random_state(model.random_state)
        sizes = model._checked_hidden_layer_sizes()
        model._initialize(targets, [X.shape[1], *sizes, targets.shape[1]], X.dtype)
    return model, X, np.ascontiguousarray(targets.reshape(len(targets), -1), np.float32)


def check_gradients(
    estimator,
    X,
    y,
    epsilon=None,
    *,
    sample_weight=None,
    max_parameters_per_layer=200,
    random_state=0,
):
    """Compare the engine's gradient with central differences of its loss.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        Fitted (its weights are checked) or not (a fresh initialisation by
        its ``random_state`` is). It is never modified.
    X : array-like of shape (n_samples, n_features)
        Inputs: a few dozen rows suffice. They form one batch (batch norm's
        statistics are theirs); dropout and input noise draw fixed masks.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    epsilon : float, default=None
        The step h of (L(p + h) - L(p - h)) / 2h, scaled by max(1, abs(p));
        None is 2e-3, near float32's machine epsilon to the power 1/3.
    sample_weight : array-like of shape (n_samples,), default=None
    max_parameters_per_layer : int, default=200
        Entries of each layer compared, drawn at random (all if fewer).
    random_state : int, RandomState instance or None, default=0
        Which entries are drawn.

    Returns
    -------
    result : GradientCheckResult
        Per-layer relative errors, ``max_relative_error``, ``passed`` and a
        readable summary (``print(result)``) with the literature's guidance.
    """
    epsilon = DEFAULT_EPSILON if epsilon is None else float(epsilon)
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon!r}.")
    model, X, targets = _model_and_targets(estimator, X, y)
    network = model._network
    data = as_dataset(X)
    weights = None
    if sample_weight is not None:
        weights = as_float32(np.asarray(sample_weight, dtype=np.float64))

    def evaluate():
        return _engine_loss_and_gradient(model, network, data, targets, weights)

    loss, gradient = evaluate()
    gradient = np.array(gradient, dtype=np.float64)
    sides = _kink_sides(network, data)

    def crossed_a_kink():
        return sides is not None and not np.array_equal(
            _kink_sides(network, data), sides
        )

    parameters = network.parameters
    rng = check_random_state(random_state)
    result = GradientCheckResult(epsilon=epsilon, loss=float(loss))
    for layer in range(len(network.layer_units) - 1):
        begin, end = network.layer_range(layer)
        indices = np.arange(begin, end)
        if len(indices) > max_parameters_per_layer:
            indices = np.sort(
                rng.choice(indices, max_parameters_per_layer, replace=False)
            )
        numeric = np.full(len(indices), np.nan)
        for k, i in enumerate(indices):
            saved = parameters[i]
            step = epsilon * max(1.0, abs(float(saved)))
            parameters[i] = saved + np.float32(step)
            plus_point, plus, kink = (
                float(parameters[i]),
                evaluate()[0],
                crossed_a_kink(),
            )
            parameters[i] = saved - np.float32(step)
            minus_point, minus = float(parameters[i]), evaluate()[0]
            kink = kink or crossed_a_kink()
            parameters[i] = saved
            if not kink:
                numeric[k] = (plus - minus) / (plus_point - minus_point)
        kept = ~np.isnan(numeric)
        analytic, numeric = gradient[indices][kept], numeric[kept]
        scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
        error = np.linalg.norm(analytic - numeric) / scale if scale > 0 else 0.0
        result.layers.append(
            {
                "layer": layer,
                "parameters": int(end - begin),
                "checked": int(kept.sum()),
                "skipped_at_kinks": int((~kept).sum()),
                "relative_error": float(error),
                "max_absolute_error": float(
                    np.max(np.abs(analytic - numeric), initial=0.0)
                ),
            }
        )
    result.max_relative_error = max(entry["relative_error"] for entry in result.layers)
    return result


__all__ = ["GradientCheckResult", "check_gradients"]
