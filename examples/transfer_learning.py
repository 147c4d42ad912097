"""
Transfer: a digit classifier's layers start a task with 100 labels
==================================================================

The hidden layers of a net trained on the ten digits start a net for a new
task that has only 100 labels
(:doc:`training techniques </training_techniques>`). Run it as a script::

    python examples/transfer_learning.py

A 784-256-128 ReLU net learns the ten digits from 4,000 MNIST images. Its
hidden layers then start (``fit(X, y, init_from=source)``) a net for a new
task that has only 100 labelled images, drawn from images the source never
saw; the rest of those images measure accuracy. Each variant runs over five
draws of the 100 labels:

- scratch: the same net, randomly initialised;
- transferred: init_from, every layer at the full rate;
- frozen: init_from, only the new output layer trains;
- 0.1x rate: init_from, the transferred layers at a tenth of the rate (the
  lecture notes' advice, ``layer_learning_rates``).

Two tasks: odd versus even, whose features the ten-digit net already
separates; and the digits 5-9 from a source trained on 0-4 only, whose
features were never asked to tell those apart. See
:doc:`training techniques </training_techniques>` for the numbers and when
to expect which.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning

# The script's path from sys.argv: sphinx-gallery runs the examples without
# __file__, with sys.argv[0] set to the script.
sys.path.insert(0, str(Path(sys.argv[0]).resolve().parents[1] / "benchmarks"))
from machine_description import commit_name, cpu_name  # noqa: E402

HIDDEN = (256, 128)
SEEDS = range(5)


def new_task_model(seed, **params):
    return MLPClassifier(
        HIDDEN, max_iter=100, learning_rate_init=1e-3, random_state=seed, **params
    )


def variants(source):
    """(name, estimator factory, fit keywords) of each way to start."""
    transfer = {"init_from": source}
    yield "scratch", lambda seed: new_task_model(seed), {}
    yield "transferred", lambda seed: new_task_model(seed), transfer
    yield (
        "frozen",
        lambda seed: new_task_model(seed, trainable_layers=[-1]),
        transfer,
    )
    yield (
        "0.1x rate",
        lambda seed: new_task_model(seed, layer_learning_rates=[0.1, 0.1, 1.0]),
        transfer,
    )


def run(task, X_source, y_source, X_target, y_target):
    source = MLPClassifier(HIDDEN, max_iter=30, random_state=0)
    source.fit(X_source, y_source)
    print(f"\n{task}")
    for name, make, fit_params in variants(source):
        scores = []
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            labelled = rng.choice(len(y_target), 100, replace=False)
            held_out = np.setdiff1d(np.arange(len(y_target)), labelled)
            model = make(seed).fit(X_target[labelled], y_target[labelled], **fit_params)
            scores.append(model.score(X_target[held_out], y_target[held_out]))
        print(
            f"  {name:12s} accuracy {np.mean(scores):.3f} ± {np.std(scores):.3f} "
            f"({', '.join(f'{s:.3f}' for s in scores)})"
        )


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, X_other, y, y_other = load_mnist_digits(n_train=4000)
    run("ten digits -> odd vs even", X, y, X_other, y_other % 2)
    low, high = y < 5, y_other >= 5
    run("digits 0-4 -> digits 5-9", X[low], y[low], X_other[high], y_other[high])
    print(f"\ncommit {commit_name()}, {cpu_name()}")


if __name__ == "__main__":
    main()
