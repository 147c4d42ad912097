"""
Diagnose a training run
=======================

The workflow of :doc:`/diagnose_training` on real runs: 8,000 MNIST digits
to train, the 2,000 held-out ones to validate. Each step reads the
estimator's ``history_`` (one dict per epoch, with per-layer statistics
gathered by the engine), draws it with :mod:`fastdnn.plot` and asks
:func:`fastdnn.diagnose` what it shows.

Run it as a script::

    python examples/plot_diagnose_training.py

Needs matplotlib (``pip install 'fastdnn[plot]'``).
"""

import warnings

import fastdnn
import matplotlib.pyplot as plt
import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from fastdnn.plot import plot_diagnostics, plot_history
from sklearn.exceptions import ConvergenceWarning

# The runs below stop at max_iter on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, X_val, y_train, y_val = load_mnist_digits()


def fit(**params):
    """A classifier fitted on the training digits, validated every epoch."""
    model = MLPClassifier(random_state=0, **params)
    return model.fit(X_train, y_train, eval_set=(X_val, y_val))


# %%
# Loss curves
# -----------
#
# The first look: training and validation loss per epoch. Both falling
# together is learning; a validation loss that turns upwards while the
# training loss keeps falling is overfitting.

model = fit(hidden_layer_sizes=(256, 128), max_iter=25)
plot_history(model)
findings = fastdnn.diagnose(model)

# %%
# The same numbers, from ``history_``:

for epoch in model.history_[::6]:
    print(
        f"epoch {epoch['epoch']:2d}  train loss {epoch['train_loss']:.4f}  "
        f"validation loss {epoch['val_loss']:.4f}  accuracy {epoch['val_score']:.4f}"
    )

# %%
# Bias against variance
# ---------------------
#
# A model too small for the data has high bias: the training loss itself
# stays high, and the validation loss sits next to it. A large model
# trained long without regularisation has high variance: it fits the
# training digits far better than the held-out ones. Regularisation
# (``alpha``, ``dropout``) and early stopping trade some of the training fit
# for the held-out one.

runs = {
    "4 units": fit(hidden_layer_sizes=(4,), max_iter=25),
    "256-128": model,
    "256-128, dropout 0.3": fit(
        hidden_layer_sizes=(256, 128), dropout=0.3, max_iter=25
    ),
}
figure, axes = plt.subplots(1, len(runs), figsize=(12, 3.4), sharey=True)
for ax, (name, run) in zip(axes, runs.items(), strict=True):
    ax.plot([h["train_loss"] for h in run.history_], label="training")
    ax.plot([h["val_loss"] for h in run.history_], label="validation")
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
axes[0].set_ylabel("loss")
axes[0].legend()
figure.tight_layout()

for name, run in runs.items():
    last = run.history_[-1]
    print(
        f"{name:22s} train loss {last['train_loss']:.4f}  "
        f"validation loss {last['val_loss']:.4f}  "
        f"gap {last['val_loss'] - last['train_loss']:+.4f}"
    )
    fastdnn.diagnose(run)

# %%
# Update-to-weight ratio
# ----------------------
#
# ``update_ratio`` is ‖ΔW‖/‖W‖ of each layer over an epoch. The rule of thumb
# is about 1e-3 for one step: much larger and the weights are thrown
# around, much smaller and they barely move. An epoch of ``n`` steps moves
# the weights between ``n`` times a step's ratio (steps that agree) and
# ``√n`` times (steps that do not), so each epoch's ratio gives a band for
# the step's. Three learning rates of Adam:

steps = int(np.ceil(len(X_train) / 200))  # batch_size='auto': 200 rows
for rate in (1e-5, 1e-3, 1e-1):
    run = fit(hidden_layer_sizes=(256, 128), learning_rate_init=rate, max_iter=5)
    ratio = run.history_[-1]["layers"][0]["update_ratio"]
    print(
        f"learning_rate_init={rate:g}: first layer's epoch ratio {ratio:.2e}, "
        f"a step's between {ratio / steps:.1e} and {ratio / np.sqrt(steps):.1e}"
    )
    fastdnn.diagnose(run)

# %%
# Dead and saturated units
# ------------------------
#
# A ReLU unit whose input is negative for every row outputs 0 and gets no
# gradient: it is dead for good. A logistic or tanh unit pushed to its flat
# ends is saturated and passes almost no gradient. ``history_`` counts both
# per hidden layer; :func:`~fastdnn.plot.plot_diagnostics` draws them with the
# update ratios, gradient norms and the spread of the activations.
#
# Adam at a learning rate of 0.1 (the last run above) left most of the first
# hidden layer's ReLU units dead, and more than half of the second's:

hot = fit(hidden_layer_sizes=(256, 128), learning_rate_init=0.1, max_iter=5)
plot_diagnostics(hot)
fastdnn.diagnose(hot)

# %%
# Logistic units fed raw pixel values (0 to 255 instead of 0 to 1) start
# saturated: the first layer's inputs are hundreds of times too large.
# ``diagnostics='full'`` also records histograms of the activations and
# gradients, drawn in the last row.

raw = MLPClassifier(
    hidden_layer_sizes=(64, 64),
    activation="logistic",
    max_iter=5,
    random_state=0,
    diagnostics="full",
).fit(X_train * 255, y_train, eval_set=(X_val * 255, y_val))
plot_diagnostics(raw)
for index, layer in enumerate(raw.history_[-1]["layers"][:-1]):
    print(
        f"hidden layer {index + 1}: {layer['saturated']:.0%} saturated, "
        f"{layer['dead']:.0%} dead"
    )
fastdnn.diagnose(raw)

# %%
# The gradient check
# ------------------
#
# :func:`fastdnn.check_gradients` compares the engine's gradient with central
# differences of its own loss, on a few rows. A correct float32 gradient
# shows a relative error of about 1e-5 to 1e-3; above 1e-2, suspect the
# backward pass. The 256-128 net of the first run:

result = fastdnn.check_gradients(model, X_train[:32], y_train[:32])
print(result)

# %%
# Learning-rate search on a log scale
# -----------------------------------
#
# A learning rate is searched over orders of magnitude, not steps: a few
# epochs at each of a log-spaced grid, then the training loss against the
# rate. The good rates sit on the flat bottom, a little below where the loss
# shoots up.

rates = np.logspace(-5, 0, 11)
losses = [
    fit(hidden_layer_sizes=(256, 128), learning_rate_init=rate, max_iter=3).loss_
    for rate in rates
]
figure, ax = plt.subplots(figsize=(6, 3.4))
ax.semilogx(rates, losses, "o-")
ax.set_xlabel("learning_rate_init (Adam)")
ax.set_ylabel("training loss after 3 epochs")
ax.set_yscale("log")
figure.tight_layout()
best = rates[int(np.argmin(losses))]
print(f"lowest training loss after 3 epochs at learning_rate_init={best:.2g}")
