"""What batch norm + dropout cost per epoch on the mnist-style workload.

    python benchmarks/bench_toolkit_cost.py              # 1 thread, 5 repeats
    python benchmarks/bench_toolkit_cost.py --threads 2 --repeats 9

One epoch (``fit`` with max_iter=1) of a 784-256-256-10 relu net, batch 128,
Adam, on the 8,000-row MNIST split: plain, then with batch normalization and
dropout 0.2. Prints each median over repeats and their ratio (the target is
at most 1.20x).
"""

import argparse
import os

ARGS = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ARGS.add_argument("--threads", type=int, default=1)
ARGS.add_argument("--repeats", type=int, default=5)
ARGS = ARGS.parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from fastdnn import MLPClassifier  # noqa: E402
from fastdnn.datasets import load_mnist_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

CONFIGURATIONS = {
    "plain": {},
    "batch norm + dropout 0.2": {"normalization": "batch", "dropout": 0.2},
}


def epoch_seconds(X, y, params, repeat):
    model = MLPClassifier(
        (256, 256),
        batch_size=128,
        max_iter=1,
        random_state=repeat,
        n_jobs=ARGS.threads,
        diagnostics=False,
        **params,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def main():
    X, _, y, _ = load_mnist_digits()
    # Configurations alternate within each repeat, so a change in the load of
    # a shared machine hits both alike; the first repeat warms caches and pages.
    times = {name: [] for name in CONFIGURATIONS}
    for repeat in range(ARGS.repeats + 1):
        for name, params in CONFIGURATIONS.items():
            times[name].append(epoch_seconds(X, y, params, repeat))
    medians = {name: statistics.median(t[1:]) for name, t in times.items()}
    print(f"784-256-256-10, batch 128, Adam, {len(X)} rows, {ARGS.threads} thread(s)")
    for name, seconds in medians.items():
        print(f"  {name:26s} {seconds * 1e3:8.1f} ms/epoch")
    ratio = medians["batch norm + dropout 0.2"] / medians["plain"]
    print(f"  ratio {ratio:.3f}x (target <= 1.20x)")


if __name__ == "__main__":
    main()
