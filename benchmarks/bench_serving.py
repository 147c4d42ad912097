"""Serving a fitted model: latency, throughput from client threads, and HTTP.

    python benchmarks/bench_serving.py              # 3 repeats
    python benchmarks/bench_serving.py --repeats 5
    python benchmarks/bench_serving.py --quick      # small, seconds: a sanity run

The model is a 784-256-256-10 MLPClassifier fitted on the shipped MNIST
digits, predicted in float32 and with inference_precision='int8' and
'bfloat16', with
n_jobs=1 (a client thread is one core's worth); scikit-learn's MLPClassifier,
fitted on the same data with its BLAS limited to one thread, is the latency
reference. The run measures:

- latency: predict_proba of one row and of 64 rows, p50 and p99 of single
  calls, the models taking turns within each repeat;
- throughput: 1, 2 and 8 client threads calling predict_proba on one shared
  model for a fixed time, on 64-row batches and on single rows, in rows/s
  and calls/s, with the 2-thread/1-thread ratio;
- HTTP: examples/serve_http.py's ThreadingHTTPServer on 127.0.0.1 (a port
  the system picks) and a bounded load generator (a fixed number of
  requests from a few client threads over http.client, with timeouts),
  p50/p99 per request and requests/s; the server is shut down at the end.

From C: benchmarks/c_api/bench_predict.c, built here with the C compiler
against the installed package's libfastdnn (docs/c_api.md), times
fastdnn_predict on the same rows of the same models saved to model files,
with OMP_NUM_THREADS=1 as n_jobs=1 gives the Python calls: latency beside
Python's, and throughput from 1, 2 and 8 pthreads sharing one model (rows
marked "from C"). Without a C compiler those cells are left out.

Figures are medians over repeats with their range [min-max].
"""

import argparse
import copy
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import fastdnn
import numpy as np
import sklearn
from fastdnn import MLPClassifier
from fastdnn.datasets import load_mnist_digits
from machine_description import commit_name, cpu_name
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from serve_http import JSON, RAW_FLOAT32, serving  # noqa: E402

HIDDEN = (256, 256)
BATCH = 64
CLIENT_THREADS = (1, 2, 8)
HTTP_CLIENTS = 4
HTTP_TIMEOUT_S = 10.0


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=None, help="default: 3")
    parser.add_argument(
        "--quick", action="store_true", help="small fits and runs: a sanity check"
    )
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def fitted_models(quick):
    """{name: classifier} fitted on the same digits, and the test rows."""
    X_train, X_test, y_train, _ = load_mnist_digits(2000 if quick else 8000)
    max_iter = 2 if quick else 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        float32 = MLPClassifier(HIDDEN, max_iter=max_iter, n_jobs=1, random_state=0)
        float32.fit(X_train, y_train)
        with threadpool_limits(1):
            reference = SklearnMLP(HIDDEN, max_iter=max_iter, random_state=0)
            reference.fit(X_train, y_train)
    int8 = copy.deepcopy(float32)
    int8.set_params(inference_precision="int8")
    bf16 = copy.deepcopy(float32).set_params(inference_precision="bfloat16")
    models = {
        "fastdnn float32": float32,
        "fastdnn int8": int8,
        "fastdnn bf16": bf16,
        "scikit-learn": reference,
    }
    return models, np.ascontiguousarray(X_test, dtype=np.float32)


def spread(values, scale=1.0, digits=0):
    """'median [min-max]' of values times scale."""
    values = [value * scale for value in values]
    low, mid, high = min(values), statistics.median(values), max(values)
    if len(values) == 1:
        return f"{mid:,.{digits}f}"
    return f"{mid:,.{digits}f} [{low:,.{digits}f}–{high:,.{digits}f}]"


# ----------------------------------------------------------------------
# Latency of single calls


def call_latencies(predict, X, n_calls):
    """Seconds each of n_calls calls of predict(X) took."""
    predict(X)  # warm: the int8 weights, the engine's buffers
    times = []
    for _ in range(n_calls):
        start = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - start)
    return times


class FromC:
    """fastdnn_predict timed by benchmarks/c_api/bench_predict.c on the
    fastdnn models saved to model files; unavailable (None) without a C
    compiler."""

    def __init__(self, models, X, folder):
        self.program = None
        compiler = shutil.which(os.environ.get("CC", "cc"))
        if compiler is None:
            return
        library = os.path.dirname(fastdnn.get_library())
        program = os.path.join(folder, "bench_predict")
        source = Path(__file__).resolve().parent / "c_api" / "bench_predict.c"
        subprocess.run(
            [compiler, "-O2", "-std=c99", f"-I{fastdnn.get_include()}", str(source)]
            + [f"-L{library}", f"-Wl,-rpath,{library}", "-lfastdnn", "-lpthread"]
            + ["-o", program],
            check=True,
        )
        self.program = program
        self.rows = os.path.join(folder, "rows.f32")
        X.tofile(self.rows)
        self.files = {}
        for name, model in models.items():
            if isinstance(model, MLPClassifier):
                self.files[name] = os.path.join(folder, f"{name}.fdnn")
                model.save(self.files[name])

    def _run(self, name, rows, *arguments):
        environment = {**os.environ, "OMP_NUM_THREADS": "1"}
        environment.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        command = [self.program, self.files[name], self.rows, str(rows)]
        result = subprocess.run(
            command + [str(argument) for argument in arguments],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        return [float(value) for value in result.stdout.split()]

    def available(self, name):
        return self.program is not None and name in self.files

    def latencies(self, name, rows, n_calls):
        """Seconds each of n_calls calls on rows rows took, or None."""
        if not self.available(name):
            return None
        return self._run(name, rows, "latency", n_calls)

    def throughput(self, name, rows, n_threads, seconds):
        """throughput()'s figures for n_threads pthreads of one process."""
        calls, elapsed, ours, others = self._run(
            name, rows, "throughput", seconds, n_threads
        )
        return {
            "rows/s": calls * rows / elapsed,
            "calls/s": calls / elapsed,
            "ours": ours,
            "others": None if others < 0 else max(0.0, others),
        }


def latency_table(models, X, repeats, quick, from_c):
    calls = {1: 100, BATCH: 30} if quick else {1: 1000, BATCH: 300}
    # {(model, rows): {"p50": [per repeat], "p99": [...], "C p50": ...}}
    results = {}
    for _ in range(repeats):
        for rows in (1, BATCH):
            for name, model in models.items():
                batch = np.ascontiguousarray(X[:rows])
                with threadpool_limits(1):
                    times = call_latencies(model.predict_proba, batch, calls[rows])
                cell = results.setdefault((name, rows), {"p50": [], "p99": []})
                cell["p50"].append(float(np.percentile(times, 50)))
                cell["p99"].append(float(np.percentile(times, 99)))
                c_times = from_c.latencies(name, rows, calls[rows])
                if c_times is not None:
                    for q in (50, 99):
                        value = float(np.percentile(c_times, q))
                        cell.setdefault(f"C p{q}", []).append(value)
    lines = [
        "| model | rows | p50 (µs) | p99 (µs) | from C p50 (µs) | from C p99 (µs) "
        "| scikit-learn p50 / this p50 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in (1, BATCH):
        reference = results[("scikit-learn", rows)]["p50"]
        for name in models:
            cell = results[(name, rows)]
            ratios = [
                ref / own for ref, own in zip(reference, cell["p50"], strict=True)
            ]
            from_c_cells = [
                spread(cell[key], 1e6, 1) if key in cell else "—"
                for key in ("C p50", "C p99")
            ]
            lines.append(
                f"| {name} | {rows} | {spread(cell['p50'], 1e6)} | "
                f"{spread(cell['p99'], 1e6)} | {' | '.join(from_c_cells)} | "
                f"{spread(ratios, digits=2)}× |"
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------
# Throughput from client threads sharing one model


def _machine_busy_seconds():
    """CPU seconds every process on the machine has used (Linux's
    /proc/stat: user, nice, system, irq, softirq), None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def throughput(predict, X, rows, n_threads, seconds):
    """rows/s, calls/s and the cores busy meanwhile, ours and other
    processes' (None off Linux), of n_threads threads calling predict on
    their own rows-row batch of X for about `seconds`."""
    batches = [
        np.ascontiguousarray(np.roll(X, -thread * rows, axis=0)[:rows])
        for thread in range(n_threads)
    ]
    for batch in batches:
        predict(batch)
    counts = [0] * n_threads
    barrier = threading.Barrier(n_threads + 1)
    stop = threading.Event()

    def client(index):
        batch = batches[index]
        calls = 0
        barrier.wait()
        while not stop.is_set():
            predict(batch)
            calls += 1
        counts[index] = calls

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start, ours, machine = (
        time.perf_counter(),
        time.process_time(),
        _machine_busy_seconds(),
    )
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    ours = (time.process_time() - ours) / elapsed
    others = None
    if machine is not None:
        others = max(0.0, (_machine_busy_seconds() - machine) / elapsed - ours)
    calls = sum(counts)
    return {
        "rows/s": calls * rows / elapsed,
        "calls/s": calls / elapsed,
        "ours": ours,
        "others": others,
    }


def throughput_table(models, X, repeats, quick, from_c):
    seconds = 0.2 if quick else 1.0
    served = {name: model for name, model in models.items() if "fastdnn" in name}
    # Each model from Python's threads, then from C's where it can be.
    rows_of_table = [(name, False) for name in served] + [
        (name, True) for name in served if from_c.available(name)
    ]
    results = {}  # (name, from C, rows, threads) -> [throughput() per repeat]
    for _ in range(repeats):
        for rows in (BATCH, 1):
            for name, in_c in rows_of_table:
                for n_threads in CLIENT_THREADS:
                    if in_c:
                        measured = from_c.throughput(name, rows, n_threads, seconds)
                    else:
                        measured = throughput(
                            served[name].predict_proba, X, rows, n_threads, seconds
                        )
                    key = (name, in_c, rows, n_threads)
                    results.setdefault(key, []).append(measured)
    header = " | ".join(f"{n} thread{'s' * (n > 1)}" for n in CLIENT_THREADS)
    lines = [
        f"| model | rows per call | {header} | 2 threads / 1 | "
        "cores busy with 2 threads: ours, other processes' |",
        "| --- | ---: |" + " ---: |" * (len(CLIENT_THREADS) + 2),
    ]
    for rows in (BATCH, 1):
        for name, in_c in rows_of_table:
            runs = {n: results[(name, in_c, rows, n)] for n in CLIENT_THREADS}
            cells = [
                f"{spread([run['rows/s'] for run in runs[n]])} rows/s, "
                f"{spread([run['calls/s'] for run in runs[n]])} calls/s"
                for n in CLIENT_THREADS
            ]
            ratios = [
                two["rows/s"] / one["rows/s"]
                for one, two in zip(runs[1], runs[2], strict=True)
            ]
            two = runs[2]
            busy = f"{spread([run['ours'] for run in two], digits=2)}"
            if all(run["others"] is not None for run in two):
                busy += f", {spread([run['others'] for run in two], digits=2)}"
            label = f"{name}, from C" if in_c else name
            lines.append(
                f"| {label} | {rows} | {' | '.join(cells)} | "
                f"{spread(ratios, digits=2)}× | {busy} |"
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------
# HTTP: examples/serve_http.py under a bounded load


def http_load(address, content_type, body, n_requests, n_clients):
    """Seconds per request and requests/s of n_requests POSTs of body, from
    n_clients threads with a kept-alive connection each; raises if any
    request fails or times out."""
    host, port = address
    shares = [
        n_requests // n_clients + (i < n_requests % n_clients) for i in range(n_clients)
    ]
    latencies = [[] for _ in range(n_clients)]
    errors = []
    headers = {"Content-Type": content_type}

    def client(index):
        connection = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT_S)
        try:
            for _ in range(shares[index]):
                start = time.perf_counter()
                connection.request("POST", "/predict", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                latencies[index].append(time.perf_counter() - start)
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")
        except Exception as error:  # reported by the caller, on its thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} HTTP clients failed") from errors[0]
    every = [latency for client in latencies for latency in client]
    return every, len(every) / elapsed


def http_table(models, X, repeats, quick):
    n_requests = 40 if quick else 400
    requests = {
        "1 row, raw float32": (RAW_FLOAT32, X[:1].astype("<f4").tobytes()),
        "64 rows, raw float32": (RAW_FLOAT32, X[:BATCH].astype("<f4").tobytes()),
        "1 row, JSON": (JSON, json.dumps({"rows": X[:1].tolist()}).encode()),
    }
    served = {name: model for name, model in models.items() if "fastdnn" in name}
    results = {}
    for _ in range(repeats):
        for name, model in served.items():
            with serving(model) as address:
                for request, (content_type, body) in requests.items():
                    http_load(address, content_type, body, HTTP_CLIENTS, 1)  # warm
                    latencies, rate = http_load(
                        address, content_type, body, n_requests, HTTP_CLIENTS
                    )
                    cell = results.setdefault(
                        (name, request), {"p50": [], "p99": [], "rate": []}
                    )
                    cell["p50"].append(float(np.percentile(latencies, 50)))
                    cell["p99"].append(float(np.percentile(latencies, 99)))
                    cell["rate"].append(rate)
    lines = [
        f"| model | request ({n_requests} requests, {HTTP_CLIENTS} clients) | "
        "p50 (µs) | p99 (µs) | requests/s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name in served:
        for request in requests:
            cell = results[(name, request)]
            lines.append(
                f"| {name} | {request} | {spread(cell['p50'], 1e6)} | "
                f"{spread(cell['p99'], 1e6)} | {spread(cell['rate'])} |"
            )
    return "\n".join(lines)


def main():
    args = _parse_args()
    models, X = fitted_models(args.quick)
    print(
        f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs); fastdnn "
        f"{fastdnn.__version__} at {commit_name()}, scikit-learn "
        f"{sklearn.__version__}, Python {sys.version.split()[0]}; "
        f"median [min–max] of {args.repeats} repeat(s)"
        + (" (--quick)" if args.quick else "")
    )
    with tempfile.TemporaryDirectory() as folder:
        from_c = FromC(models, X, folder)
        print("\n## Latency of one predict_proba call (n_jobs=1, BLAS on one thread)\n")
        print(latency_table(models, X, args.repeats, args.quick, from_c))
        print("\n## Throughput, client threads sharing one model (n_jobs=1 per call)\n")
        print(throughput_table(models, X, args.repeats, args.quick, from_c))
    print("\n## HTTP: ThreadingHTTPServer on 127.0.0.1, POST /predict\n")
    print(http_table(models, X, args.repeats, args.quick))


if __name__ == "__main__":
    main()
