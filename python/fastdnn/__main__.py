"""``python -m fastdnn``: train fastdnn and scikit-learn side by side on MNIST.

Both estimators get the same data, the same parameters and the same seed, so
the table shows what swapping the import buys: accuracy should match closely,
fit time should not.
"""

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits

# max_iter is deliberately small so the demo is quick; hitting it is expected
# and the resulting ConvergenceWarning would only be noise here.
_PARAMS = dict(
    hidden_layer_sizes=(256, 128),
    solver="adam",
    batch_size=128,
    max_iter=20,
    random_state=0,
    early_stopping=False,
)
_QUICK = dict(n_train=1000, max_iter=3)


def _fit_and_score(estimator, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    return estimator.score(X_test, y_test), fit_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fastdnn",
        description="Train fastdnn.MLPClassifier and sklearn's MLPClassifier "
        "on the shipped MNIST digits and compare accuracy and fit time.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny run ({_QUICK['n_train']} training images, "
        f"{_QUICK['max_iter']} epochs) to check the installation",
    )
    args = parser.parse_args(argv)

    params = dict(_PARAMS)
    X_train, X_test, y_train, y_test = load_mnist_digits()
    if args.quick:
        params["max_iter"] = _QUICK["max_iter"]
        X_train, y_train = X_train[: _QUICK["n_train"]], y_train[: _QUICK["n_train"]]

    layers = "-".join(
        str(n) for n in (X_train.shape[1], *params["hidden_layer_sizes"], 10)
    )
    print(
        f"MNIST digits: {len(X_train)} train / {len(X_test)} test images, "
        f"MLP {layers}, {params['solver']}, batch {params['batch_size']}, "
        f"{params['max_iter']} epochs"
    )

    results = []
    for name, cls in [
        ("fastdnn.MLPClassifier", MLPClassifier),
        ("sklearn MLPClassifier", SklearnMLPClassifier),
    ]:
        accuracy, seconds = _fit_and_score(
            cls(**params), X_train, y_train, X_test, y_test
        )
        results.append((name, accuracy, seconds))

    sklearn_seconds = results[-1][2]
    print()
    print(f"{'estimator':<23} {'test accuracy':>13} {'fit time':>10} {'speed-up':>9}")
    for name, accuracy, seconds in results:
        print(
            f"{name:<23} {accuracy:>13.4f} {seconds:>9.2f}s "
            f"{sklearn_seconds / seconds:>8.1f}x"
        )


if __name__ == "__main__":
    main()
