"""Learning curves and diagnostics of a real run: the images in docs/.

Trains on the shipped 8,000-digit MNIST split with a cosine learning-rate
schedule, validation on the 2,000 held-out digits and full diagnostics, then
saves what ``fastdnn.plot`` draws and prints what ``fastdnn.diagnose`` finds.

    python examples/plot_mnist_training.py [output folder, default docs/images]

Needs matplotlib (``pip install 'fastdnn[plot]'``).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import fastdnn  # noqa: E402
from fastdnn import MLPClassifier  # noqa: E402
from fastdnn.datasets import load_mnist_digits  # noqa: E402
from fastdnn.plot import plot_diagnostics, plot_history  # noqa: E402
from fastdnn.schedules import CosineAnnealing  # noqa: E402


def main(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
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
    plot_history(model).savefig(folder / "mnist_history.png", dpi=80)
    plot_diagnostics(model).savefig(folder / "mnist_diagnostics.png", dpi=80)
    fastdnn.diagnose(model)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/images")
