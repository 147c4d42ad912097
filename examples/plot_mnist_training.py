"""
Learning curves and diagnostics of a real run
=============================================

Trains on the shipped 8,000-digit MNIST split with a cosine learning-rate
schedule, validation on the 2,000 held-out digits and full diagnostics, then
draws what ``fastdnn.plot`` draws and prints what ``fastdnn.diagnose`` finds
(:doc:`/training_control`). :doc:`/diagnose_training` explains how to read
them.

Run it as a script; given a folder, it saves the two figures there (the
images of docs/ are made so)::

    python examples/plot_mnist_training.py [folder, e.g. docs/images]

Needs matplotlib (``pip install 'fastdnn[plot]'``).
"""

import sys
from pathlib import Path

import fastdnn
import matplotlib.pyplot as plt
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from fastdnn.plot import plot_diagnostics, plot_history
from fastdnn.schedules import CosineAnnealing


def main(folder=None):
    X_train, X_test, y_train, y_test = load_mnist_digits()
    model = MLPClassifier(
        hidden_layer_sizes=(256, 128),
        learning_rate=CosineAnnealing(t_max=30),
        learning_rate_init=2e-3,
        max_iter=30,
        random_state=0,
        diagnostics="full",
    )
    model.fit(X_train, y_train, eval_set=(X_test, y_test))
    accuracy = model.score(X_test, y_test)
    print(f"test accuracy {accuracy:.4f} after {model.n_iter_} epochs")
    figures = {
        "mnist_history.png": plot_history(model),
        "mnist_diagnostics.png": plot_diagnostics(model),
    }
    fastdnn.diagnose(model)
    if folder is None:
        plt.show()
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, figure in figures.items():
        figure.savefig(Path(folder) / name, dpi=80)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
