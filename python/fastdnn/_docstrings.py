"""Documentation that MLPClassifier and MLPRegressor share, written once.

An estimator's docstring holds a line ``$name`` where a shared block belongs;
the ``fill`` class decorator puts the block there, indented as that line is,
so ``help()`` shows each estimator's full numpydoc docstring. Each
parameter's entry lives with the rest of its description in
fastdnn._options.
"""

import re
import textwrap

# The fitted attributes both estimators set.
ATTRIBUTES = """\
loss_ : float
    The loss of the last epoch (or of the L-BFGS solution).

best_loss_ : float or None
    The lowest training loss seen; None with early_stopping.

loss_curve_ : list of float
    The loss of each epoch (stochastic solvers).

history_ : list of dict
    One dict per epoch of the stochastic solvers: ``epoch``,
    ``train_loss``, ``val_loss`` and ``val_score`` (None without
    validation data), ``lr`` (the rate at the epoch's start),
    ``epoch_time`` (s), ``samples`` (the rows the epoch trained on: fewer
    under a curriculum) and ``samples_per_s``; each annealed parameter's
    value under its name (``fastdnn.schedules.Anneal``); with diagnostics,
    ``grad_norm`` (mean global gradient norm per step) and ``layers``, one
    dict per layer: ``weight_norm``, ``update_ratio`` (‖ΔW‖/‖W‖ over the
    epoch), ``grad_norm`` and, for hidden layers, the activations'
    ``mean``, ``std``, ``saturated`` and ``dead`` fractions.

validation_scores_ : list of float or None
    The held-out score of each epoch when early_stopping, else None.

best_validation_score_ : float or None
    The best held-out score when early_stopping, else None.

t_ : int
    Number of training samples seen by the solver.

coefs_ : list of ndarray of shape (n_in, n_out)
    The weights of each layer, in the dtype X had at fit time. From a
    float32 fit they are views of the model's weights, which editing them in
    place edits; from a float64 fit they are read-only float64 copies, and
    replacing one (``coefs_[i] = W``) edits the model. The same holds for
    ``intercepts_``.

intercepts_ : list of ndarray of shape (n_out,)
    The biases of each layer.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of the features seen during fit, when X had string column names.

n_iter_ : int
    Number of epochs (or L-BFGS iterations) run by the last fit call.

n_layers_ : int
    Number of layers, input and output included.

n_outputs_ : int
    Number of outputs.

out_activation_ : str
    Name of the output activation.
"""

_PLACEHOLDER = re.compile(r"^( *)\$(\w+)\n", re.MULTILINE)


def fill(estimator):
    """Substitute the shared blocks for the ``$name`` lines of a docstring:
    ``$parameters`` is every constructor parameter's entry from its option
    (fastdnn._options), ``$attributes`` the fitted attributes above."""
    blocks = {
        "parameters": "\n".join(
            option.documentation() for option in estimator._options
        ),
        "attributes": ATTRIBUTES,
    }
    # python -OO strips docstrings: nothing to fill then.
    if estimator.__doc__ is not None:
        estimator.__doc__ = _PLACEHOLDER.sub(
            lambda m: textwrap.indent(blocks[m.group(2)], m.group(1)),
            estimator.__doc__,
        )
    return estimator
