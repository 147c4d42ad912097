"""Data-parallel training on a Dask LocalCluster against one process.

    python benchmarks/bench_distributed.py                  # everything
    python benchmarks/bench_distributed.py --lbfgs-iter 20 --epochs 5 --repeats 1
    python benchmarks/bench_distributed.py --memmap-only    # RSS against data size

Data: the shipped MNIST digits (fastdnn.datasets), the first 8,000 to train
and the last 2,000 to test. The 40,000 training rows are those 8,000 images
and their four shifts by one pixel (up, down, left, right; the row that
leaves the frame is dropped and a blank one enters): augmented copies, not
new digits, so the test accuracy is that of 8,000 distinct digits.

- L-BFGS, 256 hidden units, --lbfgs-iter iterations: MLPClassifier with
  n_jobs=1 in this process, against DistributedMLPClassifier on a
  LocalCluster of 2 worker processes with 1 thread each (the data in 4
  partitions, already on the workers: the fit's time includes validating
  them, not loading them).
- Adam, 256 hidden units, --epochs epochs, batch 200: the same pair, the
  distributed fit with local SGD at each --sync-every.
- The cost of a synchronisation: the time of a round trip of the
  parameters (client -> every worker -> client) without computing, for the
  communication model of docs/dask.md.
- Memory: fit (one epoch, 64 hidden units) on a float64 np.memmap of
  growing size in a fresh process whose data segment is capped at 512 MiB
  (RLIMIT_DATA), and its RSS after: anonymous (what the process
  allocated) and file-backed (the map's pages in the page cache, which the
  kernel may drop).

Timings are the best of --repeats runs, the two sides interleaved. Beside
the wall-clock time, the CPU time on the critical path (this process's,
plus the busiest worker's): on a machine whose other jobs hold the cores,
the wall clock cannot show what a second core gives, the CPU time can.
"""

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)


def shifted(images, rows, columns):
    """Each 28x28 image moved by (rows, columns) pixels, blanks entering."""
    square = images.reshape(-1, 28, 28)
    out = np.zeros_like(square)
    source_rows = slice(max(0, -rows), 28 - max(0, rows))
    target_rows = slice(max(0, rows), 28 - max(0, -rows))
    source_columns = slice(max(0, -columns), 28 - max(0, columns))
    target_columns = slice(max(0, columns), 28 - max(0, -columns))
    out[:, target_rows, target_columns] = square[:, source_rows, source_columns]
    return out.reshape(len(images), -1)


def mnist_40k():
    X_train, X_test, y_train, y_test = load_mnist_digits()
    shifts = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    X = np.concatenate([shifted(X_train, r, c) for r, c in shifts])
    y = np.concatenate([y_train] * len(shifts))
    return X, X_test, y, y_test


def timed(fit, client=None):
    """(wall seconds, CPU seconds on the critical path, fitted estimator).

    The CPU seconds are this process's, plus, for a fit on the cluster, the
    busiest worker's: what the fit would take with a core to each process,
    the work that waits for another core on a loaded machine left out.
    """
    workers_before = client.run(time.process_time) if client else {}
    cpu_before = time.process_time()
    started = time.perf_counter()
    estimator = fit()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    if client:
        workers_after = client.run(time.process_time)
        workers = [workers_after[w] - workers_before[w] for w in workers_before]
        print(
            f"  CPU: client (and LocalCluster's scheduler) {cpu:.2f} s, "
            f"workers {', '.join(f'{t:.2f}' for t in workers)} s",
            flush=True,
        )
        cpu += max(workers)
    return wall, cpu, estimator


def compare(name, local_fit, distributed_fit, X_test, y_test, repeats, client):
    local_times, distributed_times, local_cpu, distributed_cpu = [], [], [], []
    for _ in range(repeats):
        wall, cpu, local = timed(local_fit)
        local_times.append(wall)
        local_cpu.append(cpu)
        wall, cpu, remote = timed(distributed_fit, client)
        distributed_times.append(wall)
        distributed_cpu.append(cpu)
    local_accuracy = local.score(X_test, y_test)
    distributed_accuracy = remote.score(X_test, y_test)
    print(
        f"{name}: one process {min(local_times):.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in local_times)}), "
        f"2 workers {min(distributed_times):.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in distributed_times)}), "
        f"speed-up {min(local_times) / min(distributed_times):.2f}x; "
        f"critical-path CPU {min(local_cpu):.2f} s vs {min(distributed_cpu):.2f} s, "
        f"{min(local_cpu) / min(distributed_cpu):.2f}x; "
        f"test accuracy {local_accuracy:.4f} vs {distributed_accuracy:.4f} "
        f"(difference {distributed_accuracy - local_accuracy:+.4f}); "
        f"iterations {local.n_iter_} vs {remote.n_iter_}",
        flush=True,
    )
    return local, remote


def echo(parameters):
    return parameters


def round_trip_seconds(client, n_parameters, repeats=20):
    """A synchronisation without compute: the parameters to every worker and
    back, as local SGD and L-BFGS send them."""
    parameters = np.zeros(n_parameters, dtype=np.float32)
    workers = list(client.scheduler_info()["workers"])
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        futures = [
            client.submit(echo, parameters, workers=[w], pure=False) for w in workers
        ]
        client.gather(futures)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def lbfgs_runs(args, X, X_test, y, y_test, Xd, yd, client):
    from fastdnn.distributed import DistributedMLPClassifier

    hidden = (256,)
    compare(
        f"L-BFGS {args.lbfgs_iter} iterations",
        lambda: MLPClassifier(
            hidden_layer_sizes=hidden,
            solver="lbfgs",
            max_iter=args.lbfgs_iter,
            random_state=0,
            n_jobs=1,
        ).fit(X, y),
        lambda: DistributedMLPClassifier(
            hidden_layer_sizes=hidden,
            solver="lbfgs",
            max_iter=args.lbfgs_iter,
            random_state=0,
        ).fit(Xd, yd),
        X_test,
        y_test,
        args.repeats,
        client,
    )


def cluster_runs(args):
    import dask.array as da
    from distributed import Client, LocalCluster, wait
    from fastdnn.distributed import DistributedMLPClassifier

    X, X_test, y, y_test = mnist_40k()
    print(f"training rows {X.shape}, test rows {X_test.shape}", flush=True)
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    Xd = da.from_array(X, chunks=(10_000, 784)).persist()
    yd = da.from_array(y, chunks=10_000).persist()
    wait([Xd, yd])
    # The workers import fastdnn and compile nothing else on their first
    # task: a fit on a few rows first, so that the clock sees training only.
    DistributedMLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=2).fit(
        Xd[:2000], yd[:2000]
    )
    DistributedMLPClassifier(hidden_layer_sizes=(8,), max_iter=1).fit(
        Xd[:2000], yd[:2000]
    )
    hidden = (256,)

    if args.lbfgs_iter > 0:
        lbfgs_runs(args, X, X_test, y, y_test, Xd, yd, client)
    measured = {}
    for sync_every in args.sync_every:
        local, remote = compare(
            f"Adam {args.epochs} epochs, sync_every={sync_every}",
            lambda: MLPClassifier(
                hidden_layer_sizes=hidden,
                max_iter=args.epochs,
                random_state=0,
                n_jobs=1,
            ).fit(X, y),
            lambda sync_every=sync_every: DistributedMLPClassifier(
                hidden_layer_sizes=hidden,
                max_iter=args.epochs,
                random_state=0,
                sync_every=sync_every,
            ).fit(Xd, yd),
            X_test,
            y_test,
            args.repeats,
            client,
        )
        local_epoch = min(entry["epoch_time"] for entry in local.history_)
        remote_epoch = min(entry["epoch_time"] for entry in remote.history_)
        measured[sync_every] = local_epoch, remote_epoch
        print(
            f"  best epoch: one process {local_epoch:.3f} s, "
            f"2 workers {remote_epoch:.3f} s"
        )
    n_parameters = sum(w.size for w in remote.coefs_) + sum(
        b.size for b in remote.intercepts_
    )
    round_trips = {}
    for scale in (1, 8):
        round_trips[scale] = round_trip_seconds(client, n_parameters * scale)
        print(
            f"round trip of {n_parameters * scale:,} float32 parameters "
            f"({n_parameters * scale * 4 / 1e6:.2f} MB) to 2 workers: "
            f"{round_trips[scale] * 1e3:.2f} ms (median of 20)",
            flush=True,
        )
    communication_model(len(X), n_parameters, measured, round_trips)
    client.close()
    cluster.close()


def communication_model(n_rows, n_parameters, measured, round_trips, batch=200):
    """docs/dask.md's model of a local SGD round, fitted to this run.

    A round of W workers: each trains H steps of batch/W rows, then the
    client sends the average to the W workers and receives their W copies:
    t_round = H * t_step / W + alpha + 2 * W * S / beta, with t_step the
    one-process step of `batch` rows, S the parameters' bytes, alpha the
    per-round latency and beta the client's bandwidth (fitted to the two
    round trips). Printed: the model's 2-worker epoch against the measured
    one, and the smallest H that keeps communication under a tenth of a
    round at W workers, with these alpha and beta and with 10 GbE's.
    """
    size = 4 * n_parameters
    workers = 2
    beta = 2 * workers * (8 - 1) * size / (round_trips[8] - round_trips[1])
    alpha = max(round_trips[1] - 2 * workers * size / beta, 0.0)
    print(
        f"model: S = {size / 1e6:.2f} MB, alpha = {alpha * 1e3:.1f} ms, "
        f"beta = {beta / 1e9:.2f} GB/s"
    )
    steps = -(-n_rows // batch)
    for sync_every, (local_epoch, remote_epoch) in measured.items():
        step = local_epoch / steps
        rounds = -(-n_rows // (sync_every * batch))
        predicted = rounds * (
            sync_every * step / workers + alpha + 2 * workers * size / beta
        )
        print(
            f"  sync_every={sync_every}: predicted 2-worker epoch {predicted:.3f} s, "
            f"measured {remote_epoch:.3f} s (one process {local_epoch:.3f} s)"
        )
    step = min(local for local, _ in measured.values()) / steps
    for name, latency, bandwidth in (
        ("measured", alpha, beta),
        ("10 GbE, 1 ms", 1e-3, 1.25e9),
    ):
        needed = []
        for w in (2, 4, 8, 16, 32, 64):
            sync = latency + 2 * w * size / bandwidth
            # communication <= compute / 9, compute = H * step / w
            needed.append(f"W={w}: H>={max(1, int(np.ceil(9 * sync * w / step)))}")
        print(f"  smallest sync_every for <=10% communication ({name}): ")
        print("    " + ", ".join(needed))


MEMORY_LIMIT_MIB = 512


def rss_after_memmap_fit(n_rows, solver):
    """In a fresh process whose data segment (RLIMIT_DATA: the heap and
    private writable maps, not a read-only mapped file) is capped at
    MEMORY_LIMIT_MIB: fit one epoch on an n_rows float64 memmap; the data
    size and RSS (anonymous, file-backed) in MiB."""
    code = f"""
import numpy as np, os, resource, tempfile, warnings
warnings.simplefilter("ignore")
from fastdnn import MLPClassifier
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "X.npy")
    X = np.lib.format.open_memmap(path, "w+", np.float64, ({n_rows}, 784))
    rng = np.random.default_rng(0)
    for begin in range(0, {n_rows}, 10_000):
        X[begin:begin + 10_000] = rng.random((min(10_000, {n_rows} - begin), 784))
    X.flush()
    del X
    X = np.load(path, mmap_mode="r")
    y = np.arange({n_rows}) % 10
    limit = {MEMORY_LIMIT_MIB} * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    MLPClassifier(hidden_layer_sizes=(64,), solver={solver!r}, max_iter=1,
                  random_state=0).fit(X, y)
    print(X.nbytes / 2**20, status("RssAnon:"), status("RssFile:"))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [float(value) for value in result.stdout.split()]


def memmap_runs(args):
    print(
        f"fit on a float64 memmap, data segment capped at {MEMORY_LIMIT_MIB} MiB: "
        "rows, data MiB, solver, anonymous RSS and file-backed RSS after (MiB)"
    )
    for n_rows in args.memmap_rows:
        for solver in ("adam", "lbfgs"):
            data, anonymous, file_backed = rss_after_memmap_fit(n_rows, solver)
            print(
                f"{n_rows:>9,} rows, {data:8.0f} MiB, {solver:5}: "
                f"anonymous {anonymous:6.0f}, file-backed {file_backed:6.0f}",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lbfgs-iter", type=int, default=30, help="0: no L-BFGS")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--sync-every", type=int, nargs="+", default=[1, 16, 64, 200])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--memmap-rows", type=int, nargs="+", default=[50_000, 200_000, 800_000]
    )
    parser.add_argument("--memmap-only", action="store_true")
    parser.add_argument("--no-memmap", action="store_true")
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()}", flush=True)
    if not args.memmap_only:
        cluster_runs(args)
    if not args.no_memmap:
        memmap_runs(args)


if __name__ == "__main__":
    main()
