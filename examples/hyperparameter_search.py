"""
Hyperparameter search on a log scale, with successive halving
=============================================================

Random draws on a log scale, then successive halving, with scikit-learn's
searches over a fastdnn classifier
(:doc:`training techniques </training_techniques>`). Run it as a script::

    python examples/hyperparameter_search.py

Rates and penalties matter by their order of magnitude, so they are drawn
on a log scale (``scipy.stats.loguniform``), at random rather than on a
grid: with a few hyperparameters that matter and some that do not, random
draws try many more distinct values of the ones that matter (Bergstra &
Bengio, 2012). Successive halving then spends the epochs where they pay:
every candidate trains a few epochs, the better half trains longer, and so
on (``HalvingRandomSearchCV(resource='max_iter')``).

Both search a 784-256 ReLU classifier's learning_rate_init, alpha and
batch_size on 3,000 MNIST images with 3-fold cross-validation and report
the chosen values and the test accuracy on the other 7,000.
"""

import sys
import time
import warnings
from pathlib import Path

from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from scipy.stats import loguniform
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV

# The script's path from sys.argv: sphinx-gallery runs the examples without
# __file__, with sys.argv[0] set to the script.
sys.path.insert(0, str(Path(sys.argv[0]).resolve().parents[1] / "benchmarks"))
from machine_description import commit_name, cpu_name  # noqa: E402

DISTRIBUTIONS = {
    "learning_rate_init": loguniform(1e-4, 1e-1),
    "alpha": loguniform(1e-6, 1e-1),
    "batch_size": [32, 64, 128, 256],
}


def show(name, search, seconds, X_test, y_test):
    chosen = ", ".join(
        f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in sorted(search.best_params_.items())
    )
    print(
        f"{name}: {len(search.cv_results_['params'])} candidate evaluations, "
        f"{seconds:.1f} s\n  best {chosen}\n  cross-validated "
        f"{search.best_score_:.3f}, test {search.score(X_test, y_test):.3f}"
    )


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, X_test, y, y_test = load_mnist_digits(n_train=3000)

    random_search = RandomizedSearchCV(
        MLPClassifier((256,), max_iter=15, random_state=0),
        DISTRIBUTIONS,
        n_iter=8,
        cv=3,
        random_state=0,
    )
    # Each round keeps the best third and gives it three times the epochs:
    # 18 candidates at 2 epochs, 6 at 6, 2 at 18.
    halving = HalvingRandomSearchCV(
        MLPClassifier((256,), random_state=0, n_iter_no_change=100),
        DISTRIBUTIONS,
        resource="max_iter",
        min_resources=2,
        max_resources=18,
        n_candidates=18,
        factor=3,
        cv=3,
        random_state=0,
    )
    for name, search in (
        ("RandomizedSearchCV, 15 epochs each", random_search),
        ("HalvingRandomSearchCV(resource='max_iter')", halving),
    ):
        start = time.perf_counter()
        search.fit(X, y)
        show(name, search, time.perf_counter() - start, X_test, y_test)
    for round_, (candidates, epochs) in enumerate(
        zip(halving.n_candidates_, halving.n_resources_, strict=True)
    ):
        print(f"  round {round_}: {candidates} candidates x {epochs} epochs")
    print(f"\ncommit {commit_name()}, {cpu_name()}")


if __name__ == "__main__":
    main()
