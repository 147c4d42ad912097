"""Epoch time of plain fits (no optional technique) in two builds of fastdnn.

    python benchmarks/bench_tree_cost.py OLD_SITE NEW_SITE [--rounds 5]

Each SITE is a folder a build was installed into (``pip install --target``).
The two builds take turns, each fit in a fresh process on one thread, so
that load on a shared machine falls on both alike; the figure is the median
over the rounds of each fit's best epoch. It answers "does a change cost
plain fits anything" (docs/training_techniques_engine.md).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

FITS = r"""
import json, warnings
import numpy as np
from fastdnn import MLPClassifier, MLPRegressor
from fastdnn.datasets import load_mnist_digits

warnings.simplefilter("ignore")
X, _, y, _ = load_mnist_digits(n_train=8000)
rng = np.random.default_rng(0)
X_tiny = rng.standard_normal((20000, 100)).astype(np.float32)
y_tiny = X_tiny[:, :3].sum(1)
fits = {
    "mnist 784-256-256-10, batch 128": (
        MLPClassifier(hidden_layer_sizes=(256, 256), batch_size=128), X, y),
    "tiny 100-64-64-1, batch 32": (
        MLPRegressor(hidden_layer_sizes=(64, 64), batch_size=32), X_tiny, y_tiny),
}
best = {}
for name, (estimator, features, targets) in fits.items():
    estimator.set_params(max_iter=5, random_state=0, n_jobs=1).fit(features, targets)
    best[name] = min(entry["epoch_time"] for entry in estimator.history_)
print(json.dumps(best))
"""


def best_epochs(site):
    environment = dict(os.environ, PYTHONPATH=site, OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", FITS],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old_site")
    parser.add_argument("new_site")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    sites = {"old": arguments.old_site, "new": arguments.new_site}
    times = {which: {} for which in sites}
    for _ in range(arguments.rounds):
        for which, site in sites.items():
            for name, seconds in best_epochs(site).items():
                times[which].setdefault(name, []).append(seconds)
    for name in times["new"]:
        old = statistics.median(times["old"][name])
        new = statistics.median(times["new"][name])
        print(
            f"{name}: old {old * 1e3:.1f} ms, new {new * 1e3:.1f} ms, "
            f"new/old {new / old:.3f}"
        )


if __name__ == "__main__":
    main()
