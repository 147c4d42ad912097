"""Test accuracy (R² for housing) of training_precision='bfloat16' against
'float32', seed by seed, on the recipe of issue 24's accuracy target.

    python benchmarks/bench_bf16_accuracy.py               # every data set, 3 seeds
    python benchmarks/bench_bf16_accuracy.py --datasets mnist --seeds 5 --epochs 30
    python benchmarks/bench_bf16_accuracy.py --housing-csv california_housing.csv.gz

Every fit: hidden layers (512, 256), batch norm, dropout 0.2, AdamW with
weight_decay 1e-2, --epochs epochs (every one run: tol=0 and no stop on a
plateau), batches of 128; the seed is random_state (initial weights,
shuffling, dropout masks), the split is fixed. The model trained in bf16
predicts with inference_precision='bfloat16' too. Data:

- mnist: the shipped MNIST test set (fastdnn.datasets), first 8,000 images
  to train and last 2,000 to test;
- adult: UCI Adult from benchmarks/data, numeric columns standardised and the
  others one-hot, 70/30 split (random_state=0);
- housing: California housing (a CSV with scikit-learn's column names and
  ocean_proximity, as StatLib's with that column added), median_house_value
  in $100k as the target, numeric columns standardised, ocean_proximity
  one-hot, 70/30 split; skipped without --housing-csv.
"""

import argparse
import gzip
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_averaging import adult
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn.datasets import load_mnist_digits
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

RECIPE = dict(
    hidden_layer_sizes=(512, 256),
    normalization="batch",
    dropout=0.2,
    solver="adamw",
    weight_decay=1e-2,
    batch_size=128,
    tol=0.0,
    n_iter_no_change=10**6,
)


def housing(path):
    with gzip.open(path, "rt") as f:
        frame = pd.read_csv(f)
    y = frame.pop("median_house_value").to_numpy(np.float64) / 1e5
    frame = frame.fillna(frame.median(numeric_only=True))
    X_train, X_test, y_train, y_test = train_test_split(
        frame, y, test_size=0.3, random_state=0
    )
    columns = make_column_transformer(
        (OneHotEncoder(sparse_output=False), ["ocean_proximity"]),
        remainder=StandardScaler(),
    ).fit(X_train)
    return columns.transform(X_train), columns.transform(X_test), y_train, y_test


def score(estimator_class, split, precision, seed, epochs):
    X_train, X_test, y_train, y_test = split
    model = estimator_class(
        **RECIPE,
        max_iter=epochs,
        random_state=seed,
        training_precision=precision,
        inference_precision=precision,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    return model.score(X_test, y_test), seconds


def report(name, estimator_class, split, seeds, epochs):
    scores = {}
    for precision in ("float32", "bfloat16"):
        runs = [score(estimator_class, split, precision, s, epochs) for s in seeds]
        scores[precision] = [value for value, _ in runs]
        listed = " ".join(f"{value:.4f}" for value in scores[precision])
        fit_seconds = statistics.median(seconds for _, seconds in runs)
        print(
            f"  {precision:8s} mean {statistics.mean(scores[precision]):.4f}  "
            f"[{listed}]  fit {fit_seconds:.1f} s"
        )
    differences = [
        b - f for b, f in zip(scores["bfloat16"], scores["float32"], strict=True)
    ]
    print(
        f"  {name}: bf16 - float32 mean {statistics.mean(differences):+.4f} "
        f"(seed by seed {' '.join(f'{d:+.4f}' for d in differences)})\n",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "adult", "housing"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--data-dir", default=str(Path(__file__).with_name("data")), help="adult's"
    )
    parser.add_argument("--housing-csv", default=None)
    args = parser.parse_args()
    seeds = range(args.seeds)
    print(f"{RECIPE}, {args.epochs} epochs, seeds {list(seeds)}")
    for name in args.datasets:
        if name == "mnist":
            split, estimator = load_mnist_digits(), MLPClassifier
        elif name == "adult":
            split, estimator = adult(args.data_dir)[0], MLPClassifier
        elif name == "housing" and args.housing_csv:
            split, estimator = housing(args.housing_csv), MLPRegressor
        else:
            print(f"{name}: skipped (no data)\n")
            continue
        print(f"{name}: {len(split[0])} training rows, {len(split[1])} test rows")
        report(name, estimator, split, seeds, args.epochs)


if __name__ == "__main__":
    main()
