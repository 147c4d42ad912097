"""Test accuracy without weight averaging, with 'ema' and with 'polyak'.

    python benchmarks/bench_averaging.py                 # every data set, 5 seeds
    python benchmarks/bench_averaging.py --datasets digits --seeds 3
    python benchmarks/bench_averaging.py --sgd           # also noisy SGD
    python benchmarks/bench_averaging.py --sgd --sgd-rate 0.2

Every averaging runs with its defaults (ema_decay, averaging_start); the
seed is the estimator's random_state (initial weights and shuffling), the
split is fixed. Data:

- digits: scikit-learn's 8x8 digits, standardised, 70/30 split
  (random_state=0), 64 hidden units, 60 epochs;
- mnist: the shipped MNIST test set (fastdnn.datasets), first 8,000 images
  to train and last 2,000 to test, 128 hidden units, 20 epochs;
- adult: UCI Adult from benchmarks/data (or --data-dir), numeric columns
  standardised and the others one-hot, 70/30 split (random_state=0),
  64 hidden units, 20 epochs.

The default solver is Adam with scikit-learn's defaults; --sgd adds a run of
noisy SGD (rate 0.05, momentum 0.9, batches of 16, every epoch run: no stop on
a plateau), the regime averaging is for. Each line gives the test accuracy's
mean and standard deviation over the seeds, and for an averaging the mean and
standard deviation of its difference from no averaging, seed by seed, over
the seeds whose fit did not diverge.
"""

import argparse
import gzip
import statistics
import warnings
from pathlib import Path

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

AVERAGINGS = (None, "ema", "polyak")


def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    split = scaler.transform(X_train), scaler.transform(X_test), y_train, y_test
    return split, {"hidden_layer_sizes": (64,), "max_iter": 60}


def mnist():
    return load_mnist_digits(), {"hidden_layer_sizes": (128,), "max_iter": 20}


def adult(data_dir):
    import pandas as pd

    with gzip.open(Path(data_dir) / "adult.data.gz", "rt") as f:
        frame = pd.read_csv(f, skipinitialspace=True)
    y = (frame.pop("Salary") == ">50K").to_numpy(np.int64)
    numeric = frame.select_dtypes("number").columns
    X = pd.get_dummies(frame, columns=frame.columns.difference(numeric), dtype=float)
    X_train, X_test, y_train, y_test = train_test_split(
        X.to_numpy(np.float64), y, test_size=0.3, random_state=0
    )
    columns = [X.columns.get_loc(name) for name in numeric]
    scaler = StandardScaler().fit(X_train[:, columns])
    for part in (X_train, X_test):
        part[:, columns] = scaler.transform(part[:, columns])
    return (X_train, X_test, y_train, y_test), {
        "hidden_layer_sizes": (64,),
        "max_iter": 20,
    }


def test_accuracy(split, params, averaging, seed):
    X_train, X_test, y_train, y_test = split
    model = MLPClassifier(averaging=averaging, random_state=seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(X_train, y_train)
        except ValueError as error:
            if "diverged" not in str(error):
                raise
            return None  # the raw iterates, the same with or without averaging
    return model.score(X_test, y_test)


def mean_and_spread(values):
    if not values:
        return "  every fit diverged"
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):+.4f} sd {spread:.4f}"


def report(name, split, params, seeds):
    print(f"{name}: {params}")
    baseline = None
    for averaging in AVERAGINGS:
        scores = [test_accuracy(split, params, averaging, seed) for seed in seeds]
        finite = [score for score in scores if score is not None]
        listed = " ".join("diverged" if s is None else f"{s:.3f}" for s in scores)
        line = f"  {averaging or 'none':7s} {mean_and_spread(finite)[1:]}  [{listed}]"
        if baseline is None:
            baseline = scores
        else:
            differences = [
                a - b
                for a, b in zip(scores, baseline, strict=True)
                if a is not None and b is not None
            ]
            line += f"  vs none {mean_and_spread(differences)}"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "mnist", "adult"])
    parser.add_argument("--seeds", type=int, default=5, help="default: 5")
    parser.add_argument("--sgd", action="store_true", help="add noisy SGD")
    parser.add_argument(
        "--sgd-rate", type=float, default=0.05, help="its rate, default: 0.05"
    )
    parser.add_argument("--data-dir", default=Path(__file__).parent / "data")
    args = parser.parse_args()
    loaders = {"digits": digits, "mnist": mnist, "adult": lambda: adult(args.data_dir)}
    solvers = {"adam": {}}
    if args.sgd:
        solvers["sgd"] = {
            "solver": "sgd",
            "learning_rate_init": args.sgd_rate,
            "momentum": 0.9,
            "batch_size": 16,
            "n_iter_no_change": 1000,
        }
    seeds = range(args.seeds)
    for name in args.datasets:
        split, params = loaders[name]()
        for solver, solver_params in solvers.items():
            report(f"{name}, {solver}", split, {**params, **solver_params}, seeds)


if __name__ == "__main__":
    main()
