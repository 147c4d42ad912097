"""
Curriculum learning and annealed input noise
============================================

Easy images first, and input noise annealed away, against plain training on
MNIST (:doc:`training techniques </training_techniques>`). Run it as a
script::

    python examples/curriculum_and_continuation.py

A 784-256 ReLU classifier on 4,000 MNIST images (tested on the other
6,000), 20 epochs of Adam, three seeds per variant.

Curriculum: each image's difficulty is its log-loss under a small net
fitted to the same images (``fastdnn.curriculum.difficulty_by_loss``);
epoch e draws its minibatches from the easiest fraction the pacing function
gives, all images from epoch 10 on. The anti-curriculum (hardest first) is
the control. The rows each epoch used come from ``history_``.

Continuation: Gaussian input noise of standard deviation 0.5 annealed to 0
over the first 15 epochs (``fastdnn.schedules.Anneal``), against no noise
and a constant 0.3.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.curriculum import difficulty_by_loss
from fastdnn.datasets import load_mnist_digits
from fastdnn.schedules import Anneal
from sklearn.exceptions import ConvergenceWarning

# The script's path from sys.argv: sphinx-gallery runs the examples without
# __file__, with sys.argv[0] set to the script.
sys.path.insert(0, str(Path(sys.argv[0]).resolve().parents[1] / "benchmarks"))
from machine_description import commit_name, cpu_name  # noqa: E402

SEEDS = range(3)


def model(seed, **params):
    return MLPClassifier(
        (256,), max_iter=20, n_iter_no_change=20, random_state=seed, **params
    )


def report(name, scores):
    print(
        f"  {name:30s} {np.mean(scores):.4f} ± {np.std(scores):.4f} "
        f"({', '.join(f'{s:.4f}' for s in scores)})"
    )


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, X_test, y, y_test = load_mnist_digits(n_train=4000)
    teacher = MLPClassifier((32,), max_iter=5, random_state=0)
    difficulty = difficulty_by_loss(teacher, X, y)

    print("Curriculum (curriculum_epochs=10): test accuracy")
    runs = [("none", {}, None)]
    for pacing in ("linear", "root", "step"):
        runs.append((pacing, {"curriculum": pacing}, difficulty))
    runs.append(("linear, hardest first", {"curriculum": "linear"}, -difficulty))
    for name, params, scores_by in runs:
        scores, fitted = [], None
        for seed in SEEDS:
            fitted = model(seed, curriculum_epochs=10, **params)
            fitted.fit(X, y, difficulty=scores_by)
            scores.append(fitted.score(X_test, y_test))
        report(name, scores)
        if scores_by is not None and name != "linear, hardest first":
            rows = [entry["samples"] for entry in fitted.history_[:11]]
            print(f"    rows per epoch: {rows}")

    print("Input noise: test accuracy")
    for name, noise in (
        ("none", 0.0),
        ("constant 0.3", 0.3),
        ("Anneal(0.5 -> 0, 15 epochs)", Anneal(0.5, 0.0, 15)),
        ("Anneal(0.5 -> 0, cosine)", Anneal(0.5, 0.0, 15, shape="cosine")),
    ):
        scores = [
            model(seed, input_noise=noise).fit(X, y).score(X_test, y_test)
            for seed in SEEDS
        ]
        report(name, scores)
    print(f"\ncommit {commit_name()}, {cpu_name()}")


if __name__ == "__main__":
    main()
