"""Time one epoch of Adam in fastdnn, scikit-learn and (if installed) PyTorch.

    python benchmarks/bench_fit.py            # 3 repeats
    python benchmarks/bench_fit.py --threads 2
    python benchmarks/bench_fit.py --quick    # small sanity run
    python benchmarks/bench_fit.py --workloads tiny mnist --repeats 1
    python benchmarks/bench_fit.py --precision bfloat16 --workloads mnist-60k wide

Each workload is one ``fit`` with ``max_iter=1`` (one epoch, Adam, the same
net and batch size everywhere); PyTorch runs the equivalent eager training
loop. scikit-learn, numpy and PyTorch use --threads threads; fastdnn runs with
n_jobs=1 and n_jobs=2 side by side. Times are medians over repeats, the
libraries taking turns within each repeat so that a shared machine's slow
spells fall on all of them alike. The BLAS
roofline is the time numpy's BLAS takes for the epoch's matrix products alone,
timed on the epoch's own shapes: per layer and batch the forward product, the
weight gradient and the input gradient (which backpropagation skips for the
first layer since nothing consumes it). The run ends with prediction latency
and fastdnn's SGEMM against numpy on the nets' shapes (bench_gemm.py).

With --precision bfloat16 the run compares fastdnn's training_precision=
'bfloat16' epoch with its float32 one and with PyTorch's bf16 autocast (when
installed), measures Adam's float32 pass, the floor of a bf16 epoch, times
bf16 prediction, and ends with the bf16 products against PyTorch's.
"""

import argparse
import copy
import os
import sys


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="default: 1")
    parser.add_argument("--repeats", type=int, default=None, help="default: 3")
    parser.add_argument(
        "--quick", action="store_true", help="small data, one repeat: a sanity run"
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=None,
        help="the fit workloads to run (default: all of them)",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "bfloat16"],
        help="bfloat16: the bf16 tables instead (default: float32)",
    )
    parser.add_argument(
        "--long-run",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="also train the tiny workload this many epochs and compare the "
        "first five epochs' time with the last five's (default: skip)",
    )
    return parser.parse_args()


# Thread pools size themselves when their library loads, so the limits must
# be in the environment before numpy, fastdnn (OpenMP) or torch is imported.
ARGS = _parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
# The BLAS pools hold two threads at least, for the roofline on two threads;
# main() limits them to --threads everywhere else.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(max(ARGS.threads, 2))

import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import date  # noqa: E402
from functools import partial  # noqa: E402
from itertools import pairwise  # noqa: E402

import fastdnn  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from bench_gemm import run as sgemm_table  # noqa: E402
from bench_gemm import run_bf16 as bf16_gemm_table  # noqa: E402
from fastdnn.datasets import load_mnist_digits  # noqa: E402
from machine_description import cpu_name  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnMLP  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

try:
    import torch
except ImportError:
    torch = None
else:
    torch.set_num_threads(ARGS.threads)

REPEATS = ARGS.repeats or (1 if ARGS.quick else 3)
# --quick keeps every code path but shrinks the data tenfold.
ROW_SCALE = 10 if ARGS.quick else 1
PREDICT_CALLS = 200 if ARGS.quick else 2000


def timed_seconds(function, *args, **kwargs):
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def median_seconds(repeats, function, *args, **kwargs):
    return statistics.median(
        timed_seconds(function, *args, **kwargs) for _ in range(repeats)
    )


def interleaved_medians(repeats, contenders):
    """Median of each contender's seconds, the contenders taking turns.

    A contender is a function returning the seconds it measured. Taking turns
    within each repeat, rather than repeating one contender and then the next,
    spreads a shared machine's slow spells over all of them, so the ratios
    hold even while absolute times drift.
    """
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, contender in contenders.items():
            samples[name].append(contender())
    return {name: statistics.median(values) for name, values in samples.items()}


def blas_sgemm_gflops(n=1024, repeats=10):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # first call pays for page faults and thread start-up
    return 2 * n**3 / median_seconds(repeats, np.matmul, a, b) / 1e9


def blas_roofline_seconds(n_samples, layer_sizes, batch, threads):
    """numpy's BLAS time for one epoch's matrix products, on their own shapes,
    on `threads` threads."""
    with threadpool_limits(threads, user_api="blas"):
        return _blas_roofline_seconds(n_samples, layer_sizes, batch)


def _blas_roofline_seconds(n_samples, layer_sizes, batch):
    rng = np.random.default_rng(0)
    per_batch = 0.0
    for i, (n_in, n_out) in enumerate(pairwise(layer_sizes)):
        x = rng.standard_normal((batch, n_in), dtype=np.float32)
        w = rng.standard_normal((n_in, n_out), dtype=np.float32)
        dy = rng.standard_normal((batch, n_out), dtype=np.float32)
        products = [(x, w), (x.T, dy)] + ([(dy, w.T)] if i > 0 else [])
        for left, right in products:
            out = np.empty((left.shape[0], right.shape[1]), np.float32)
            np.matmul(left, right, out=out)  # warm
            calls = max(1, int(2e7 / (left.shape[0] * left.shape[1] * right.shape[1])))

            def burst(left=left, right=right, out=out, calls=calls):
                for _ in range(calls):
                    np.matmul(left, right, out=out)

            per_batch += median_seconds(max(REPEATS, 5), burst) / calls
    return per_batch * n_samples / batch


# --- workloads ------------------------------------------------------------


def tiny_data(rng):
    n = 20_000 // ROW_SCALE
    X = rng.standard_normal((n, 100), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64)
    return X, y


def mnist_data(rng):
    X, _, y, _ = load_mnist_digits()
    return X[: len(X) // ROW_SCALE], y[: len(y) // ROW_SCALE]


def mnist_60k_data(rng):
    """Six copies of the 10k digits, each shifted by up to 2 pixels and
    speckled, so the rows are distinct but still look like MNIST."""
    X_train, X_test, y_train, y_test = load_mnist_digits()
    images = np.concatenate([X_train, X_test]).reshape(-1, 28, 28)
    labels = np.concatenate([y_train, y_test])
    copies = 6 // min(ROW_SCALE, 6)
    X_parts = []
    for _ in range(copies):
        dy, dx = rng.integers(-2, 3, size=2)
        shifted = np.roll(images, (dy, dx), axis=(1, 2))
        noise = rng.normal(0, 0.05, shifted.shape).astype(np.float32)
        X_parts.append(np.clip(shifted + noise, 0, 1).reshape(len(images), -1))
    return np.concatenate(X_parts), np.tile(labels, copies)


def wide_data(rng):
    n = 20_000 // ROW_SCALE
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return X, y


WORKLOADS = [
    ("tiny", tiny_data, (64, 64), 32),
    ("mnist", mnist_data, (256, 256), 128),
    # scikit-learn's defaults: one layer of 100 units, batches of 200.
    ("default", mnist_data, (100,), 200),
    ("mnist-60k", mnist_60k_data, (256, 256), 128),
    ("wide", wide_data, (1024, 1024), 256),
]


# --- one epoch in each library ----------------------------------------------


def _estimator_params(hidden, batch):
    return dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        batch_size=batch,
        max_iter=1,
        tol=0.0,
        random_state=0,
    )


def fit_estimator(cls, X, y, hidden, batch, **params):
    estimator = cls(**_estimator_params(hidden, batch), **params)
    # One epoch never converges; the warning says nothing here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return estimator


def fit_fastdnn(X, y, hidden, batch, n_jobs, epoch_seconds, **params):
    """Seconds of one fastdnn fit; the epoch's own seconds go to epoch_seconds.

    history_'s epoch_time times the engine's training epoch alone, without
    what every fit adds around it (validating X, initializing the weights,
    the end-of-epoch diagnostics), which does not change with n_jobs.
    """
    start = time.perf_counter()
    estimator = fit_estimator(
        fastdnn.MLPClassifier, X, y, hidden, batch, n_jobs=n_jobs, **params
    )
    seconds = time.perf_counter() - start
    epoch_seconds.append(estimator.history_[-1]["epoch_time"])
    return seconds


def torch_model(n_features, hidden, n_outputs):
    layers = []
    for n_in, n_out in pairwise((n_features, *hidden)):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(hidden[-1], n_outputs))
    return torch.nn.Sequential(*layers)


def fit_torch(
    X, y, hidden, batch, alpha=1e-4, epochs=1, epoch_seconds=None, autocast=False
):
    """sklearn's recipe in eager PyTorch: shuffled mini-batches, Adam with its
    defaults, an L2 penalty on weights only, a single logit for two classes.
    Each epoch's seconds are appended to epoch_seconds, if given. With
    autocast, the forward and the loss run under torch.autocast's bfloat16
    (float32 weights and optimizer, bf16 products), PyTorch's mixed precision."""
    n_classes = len(np.unique(y))
    binary = n_classes == 2
    model = torch_model(X.shape[1], hidden, 1 if binary else n_classes)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam(
        [{"params": weights, "weight_decay": alpha / batch}, {"params": biases}],
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
    )
    X_t = torch.from_numpy(X)
    if binary:
        y_t = torch.from_numpy(y.astype(np.float32)).unsqueeze(1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        y_t = torch.from_numpy(y)
        loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), batch):
            rows = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = loss_fn(model(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
        if epoch_seconds is not None:
            epoch_seconds.append(time.perf_counter() - started)
    return model


# --- reporting --------------------------------------------------------------


def ratio(numerator, denominator):
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}"


def seconds(value, unit=1.0, digits=3):
    return "-" if value is None else f"{value / unit:.{digits}f}"


def print_table(header, rows):
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows, strict=True)
    ]
    for line in (header, ["-" * w for w in widths], *rows):
        print(
            "  ".join(str(cell).rjust(w) for cell, w in zip(line, widths, strict=True))
        )
    print()


def selected_workloads():
    """(name, X, y, hidden, batch, layer sizes) of each workload --workloads
    names (every one by default), the data drawn in WORKLOADS' order."""
    rng = np.random.default_rng(0)
    for name, make_data, hidden, batch in WORKLOADS:
        if ARGS.workloads and name not in ARGS.workloads:
            continue
        X, y = make_data(rng)
        n_outputs = 1 if len(np.unique(y)) == 2 else len(np.unique(y))
        yield name, X, y, hidden, batch, (X.shape[1], *hidden, n_outputs)


def bench_fit():
    rows = []
    for name, X, y, hidden, batch, layer_sizes in selected_workloads():
        epochs = {"1t": [], "2t": []}
        contenders = {
            "sklearn": partial(
                timed_seconds, fit_estimator, SklearnMLP, X, y, hidden, batch
            ),
            "1t": partial(fit_fastdnn, X, y, hidden, batch, 1, epochs["1t"]),
            "2t": partial(fit_fastdnn, X, y, hidden, batch, 2, epochs["2t"]),
        }
        # numpy's BLAS on one and on two threads says what a second thread
        # can gain on this machine in this run.
        for threads in sorted({ARGS.threads, 1, 2}):
            contenders[f"roofline {threads}t"] = partial(
                blas_roofline_seconds, X.shape[0], layer_sizes, batch, threads
            )
        if torch is not None:
            contenders["torch"] = partial(timed_seconds, fit_torch, X, y, hidden, batch)
        t = {"torch": None, **interleaved_medians(REPEATS, contenders)}
        t["roofline"] = t[f"roofline {ARGS.threads}t"]
        rows.append(
            [
                name,
                f"{X.shape[0]}x{X.shape[1]}",
                "-".join(map(str, layer_sizes)),
                batch,
                seconds(t["sklearn"]),
                seconds(t["torch"]),
                seconds(t["1t"]),
                seconds(t["2t"]),
                seconds(t["roofline"]),
                ratio(t["sklearn"], t["1t"]),
                ratio(t["torch"], t["1t"]),
                ratio(t["1t"], t["roofline"]),
                ratio(t["1t"], t["2t"]),
                ratio(statistics.median(epochs["1t"]), statistics.median(epochs["2t"])),
                ratio(t["roofline 1t"], t["roofline 2t"]),
            ]
        )
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print(
        "One epoch of Adam (fit, max_iter=1), median seconds; fastdnn with "
        f"n_jobs=1 (1t) and 2 (2t), the others with {ARGS.threads} thread(s):"
    )
    print_table(
        [
            "workload",
            "data",
            "net",
            "batch",
            "sklearn",
            "torch",
            "fastdnn 1t",
            "fastdnn 2t",
            "BLAS roofline",
            "sklearn/1t",
            "torch/1t",
            "1t/roofline",
            "1t/2t",
            "epoch 1t/2t",
            "BLAS 1t/2t",
        ],
        rows,
    )
    print(
        "epoch 1t/2t: the training epoch alone (history_'s epoch_time), without "
        "the fixed cost of a fit around it. BLAS 1t/2t: numpy's BLAS roofline "
        "on one thread over two, what a second thread gains on this machine in "
        "this run (in short bursts, which the host's slow spells touch less than "
        "a whole fit).\n"
        "Targets: tiny sklearn/1t and torch/1t >= 10; mnist torch/1t >= 1.6; "
        "wide 1t/roofline <= 1.15; mnist and wide 1t/2t >= 1.8.\n"
    )


def bench_predict():
    X, X_test, y, y_test = load_mnist_digits()
    hidden = (256, 256)
    row, block = X_test[:1], X_test[:1000]
    # float64, numpy's and pandas' default: scikit-learn then fits and
    # predicts in float64, fastdnn converts and computes in float32.
    row_float64, block_float64 = row.astype(np.float64), block.astype(np.float64)
    sk = fit_estimator(SklearnMLP, X, y, hidden, 128)
    sk_float64 = fit_estimator(SklearnMLP, X.astype(np.float64), y, hidden, 128)
    fd = fit_estimator(fastdnn.MLPClassifier, X, y, hidden, 128)
    fd_float64 = fit_estimator(
        fastdnn.MLPClassifier, X.astype(np.float64), y, hidden, 128
    )
    fd_int8 = copy.deepcopy(fd).set_params(inference_precision="int8")
    torch_calls = {}
    if torch is not None:
        model = torch_model(784, hidden, 10).eval()
        # PyTorch's own dynamic int8 quantization, the counterpart of
        # inference_precision="int8".
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model_int8 = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )

        def torch_proba(net):
            with torch.inference_mode():
                return net(torch.from_numpy(row)).softmax(dim=1).numpy()

        def torch_predict(net):
            with torch.inference_mode():
                return net(torch.from_numpy(block)).argmax(dim=1).numpy()

        torch_calls = {
            "row": partial(torch_proba, model),
            "row int8": partial(torch_proba, model_int8),
            "block": partial(torch_predict, model),
            "block int8": partial(torch_predict, model_int8),
        }
    sk_row = partial(sk.predict_proba, row)
    sk_block = partial(sk.predict, block)
    rows_repeats = max(REPEATS, 20)
    # (call, unit, digits, repeats, scikit-learn, fastdnn, PyTorch); int8
    # rows compare against scikit-learn's float32 calls, which have no int8.
    measured = [
        ("predict_proba 1 row (us)", 1e-6, 1, PREDICT_CALLS, sk_row,
         partial(fd.predict_proba, row), torch_calls.get("row")),
        ("1 row, float64 fit and X (us)", 1e-6, 1, PREDICT_CALLS,
         partial(sk_float64.predict_proba, row_float64),
         partial(fd_float64.predict_proba, row_float64), None),
        ("1 row, int8 (us)", 1e-6, 1, PREDICT_CALLS, sk_row,
         partial(fd_int8.predict_proba, row), torch_calls.get("row int8")),
        ("predict 1000 rows (ms)", 1e-3, 2, rows_repeats, sk_block,
         partial(fd.predict, block), torch_calls.get("block")),
        ("1000 rows, float64 X (ms)", 1e-3, 2, rows_repeats,
         partial(sk_float64.predict, block_float64),
         partial(fd.predict, block_float64), None),
        ("1000 rows, int8 (ms)", 1e-3, 2, rows_repeats, sk_block,
         partial(fd_int8.predict, block), torch_calls.get("block int8")),
    ]  # fmt: skip
    medians = {}  # a call shared by two rows is timed once

    def median_of(call, repeats):
        if call is None:
            return None
        if id(call) not in medians:
            call()  # warm caches and thread pools before timing
            medians[id(call)] = median_seconds(repeats, call)
        return medians[id(call)]

    table = []
    for name, unit, digits, repeats, *calls in measured:
        sklearn, ours, pytorch = (median_of(call, repeats) for call in calls)
        table.append(
            [
                name,
                *(seconds(value, unit, digits) for value in (sklearn, ours, pytorch)),
                ratio(sklearn, ours),
                ratio(pytorch, ours),
            ]
        )
    print(f"Inference, 784-256-256-10 net, median of {PREDICT_CALLS} single-row calls:")
    print_table(
        ["call", "sklearn", "fastdnn", "torch", "sklearn/fastdnn", "torch/fastdnn"],
        table,
    )
    float32_proba, int8_proba = fd.predict_proba(X_test), fd_int8.predict_proba(X_test)
    print(
        f"int8 against float32 on the {len(X_test)} MNIST test digits: accuracy "
        f"{fd_int8.score(X_test, y_test):.4f} against {fd.score(X_test, y_test):.4f}; "
        f"{np.mean(int8_proba.argmax(1) == float32_proba.argmax(1)):.2%} same class; "
        f"largest probability change {np.abs(int8_proba - float32_proba).max():.3f}. "
        f"int8 kernel: {fastdnn._core.automatic_int8_kernel()}.\n"
    )


def adam_floor_seconds(X, y, hidden, batch):
    """Adam's float32 pass over the net's parameters, per epoch: the epoch's
    steps times one step of a single-row batch, whose products are a
    thousandth of a full batch's and whose time is nearly all the optimizer's
    pass over weights, gradients and both moments."""
    steps = -(-len(X) // batch)
    rows = 512
    estimator = fit_estimator(
        fastdnn.MLPClassifier, X[:rows], y[:rows], hidden, 1, n_jobs=1
    )
    return estimator.history_[-1]["epoch_time"] / rows * steps


def bench_bf16_fit():
    rows = []
    for name, X, y, hidden, batch, layer_sizes in selected_workloads():
        keys = ("f32", "f32 2t", "bf16 1t", "bf16 2t", "torch", "autocast")
        epochs = {key: [] for key in keys}
        bf16 = {"training_precision": "bfloat16"}
        contenders = {
            "f32": partial(fit_fastdnn, X, y, hidden, batch, 1, epochs["f32"]),
            "bf16 1t": partial(
                fit_fastdnn, X, y, hidden, batch, 1, epochs["bf16 1t"], **bf16
            ),
            "bf16 2t": partial(
                fit_fastdnn, X, y, hidden, batch, 2, epochs["bf16 2t"], **bf16
            ),
            "f32 2t": partial(fit_fastdnn, X, y, hidden, batch, 2, epochs["f32 2t"]),
        }
        if torch is not None:
            for key, autocast in (("torch", False), ("autocast", True)):
                contenders[key] = partial(
                    timed_seconds,
                    fit_torch,
                    X,
                    y,
                    hidden,
                    batch,
                    epoch_seconds=epochs[key],
                    autocast=autocast,
                )
        interleaved_medians(REPEATS, contenders)
        epoch = {key: statistics.median(v) if v else None for key, v in epochs.items()}
        floor = adam_floor_seconds(X, y, hidden, batch)
        rows.append(
            [
                name,
                "-".join(map(str, layer_sizes)),
                batch,
                seconds(epoch["f32"]),
                seconds(epoch["bf16 1t"]),
                seconds(epoch["bf16 2t"]),
                seconds(epoch["torch"]),
                seconds(epoch["autocast"]),
                seconds(floor),
                ratio(epoch["f32"], epoch["bf16 1t"]),
                ratio(epoch["autocast"], epoch["bf16 1t"]),
                ratio(epoch["bf16 1t"], epoch["bf16 2t"]),
                ratio(epoch["f32"], epoch["f32 2t"]),
            ]
        )
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print(
        "One epoch of Adam, median seconds of the training epoch alone "
        "(history_'s epoch_time; PyTorch's loop timed per epoch); fastdnn "
        f"float32 and bf16 with n_jobs=1 (1t) and 2 (2t), PyTorch with "
        f"{ARGS.threads} thread(s), in float32 and under bf16 autocast:"
    )
    print_table(
        [
            "workload",
            "net",
            "batch",
            "f32 1t",
            "bf16 1t",
            "bf16 2t",
            "torch",
            "autocast",
            "Adam pass",
            "f32/bf16",
            "autocast/bf16",
            "bf16 1t/2t",
            "f32 1t/2t",
        ],
        rows,
    )
    print(
        "Adam pass: one epoch's optimizer steps alone (steps x a one-row step), "
        "part of every epoch in either precision.\n"
        "Targets (AMX): wide f32/bf16 >= 2.5 and autocast/bf16 >= 1.8; "
        "mnist-60k f32/bf16 >= 2.5; bf16 1t/2t as f32's.\n"
    )


def bench_bf16_predict():
    X, X_test, y, y_test = load_mnist_digits()
    hidden = (256, 256)
    fd = fit_estimator(fastdnn.MLPClassifier, X, y, hidden, 128, n_jobs=1)
    fd_bf16 = copy.deepcopy(fd).set_params(inference_precision="bfloat16")
    fd_bf16.predict_proba(X_test[:1])  # packs the bf16 weights, kept since
    model = torch_model(784, hidden, 10).eval() if torch is not None else None
    for n_rows, unit, scale in ((1000, "ms", 1e-3), (1, "us", 1e-6)):
        block = X_test[:n_rows]
        calls = {
            "fastdnn float32": partial(fd.predict_proba, block),
            "fastdnn bf16": partial(fd_bf16.predict_proba, block),
            # The engine's call without the kept weights: bf16 products
            # that pack the weights at every product, as before they were kept.
            "fastdnn bf16, packing per call": partial(
                fd_bf16._network.predict,
                fastdnn._core.Dataset(block),
                precision="bfloat16",
            ),
        }
        if model is not None:

            def torch_proba(autocast, block=block):
                with (
                    torch.inference_mode(),
                    torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast),
                ):
                    rows = torch.from_numpy(block)
                    return model(rows).float().softmax(dim=1).numpy()

            calls["torch float32"] = partial(torch_proba, False)
            calls["torch autocast"] = partial(torch_proba, True)
        for call in calls.values():
            call()
        repeats = max(REPEATS, 50 if n_rows > 1 else 2000)
        times = {name: median_seconds(repeats, call) for name, call in calls.items()}
        print(
            f"predict_proba of {n_rows} row(s), 784-256-256-10, "
            f"{ARGS.threads} thread(s):"
        )
        print_table(
            ["call", unit, "fastdnn float32 / this"],
            [
                [name, seconds(value, scale, 2), ratio(times["fastdnn float32"], value)]
                for name, value in times.items()
            ],
        )
    float32_proba = fd.predict_proba(X_test)
    bf16_proba = fd_bf16.predict_proba(X_test)
    print(
        f"bf16 against float32 on the {len(X_test)} MNIST test digits: accuracy "
        f"{fd_bf16.score(X_test, y_test):.4f} against {fd.score(X_test, y_test):.4f}; "
        f"{np.mean(bf16_proba.argmax(1) == float32_proba.argmax(1)):.2%} same class; "
        f"largest probability change {np.abs(bf16_proba - float32_proba).max():.4f}. "
        f"bf16 kernel: {fastdnn._core.automatic_bf16_kernel()}.\n"
    )


def bench_long_run(epochs):
    """Whether an epoch late in training costs what an early one does.

    Values decaying towards float32's subnormal range slow every operation
    that meets them; one-epoch timings cannot show it.
    """
    X, y = tiny_data(np.random.default_rng(0))
    hidden, batch = (64, 64), 32
    epoch_seconds = {}
    for name, cls, params in [
        ("sklearn", SklearnMLP, {}),
        ("fastdnn", fastdnn.MLPClassifier, {"n_jobs": ARGS.threads}),
    ]:
        estimator = cls(**{**_estimator_params(hidden, batch), **params})
        seconds_each = epoch_seconds[name] = []
        for _ in range(epochs):
            seconds_each.append(
                timed_seconds(estimator.partial_fit, X, y, classes=np.unique(y))
            )
    if torch is not None:
        epoch_seconds["torch"] = []
        fit_torch(
            X, y, hidden, batch, epochs=epochs, epoch_seconds=epoch_seconds["torch"]
        )
    print(
        f"tiny workload, {epochs} epochs of Adam (partial_fit), "
        "median seconds per epoch:"
    )
    print_table(
        ["library", "epochs 1-5", f"epochs {epochs - 4}-{epochs}", "last/first"],
        [
            [
                name,
                seconds(statistics.median(values[:5])),
                seconds(statistics.median(values[-5:])),
                ratio(statistics.median(values[-5:]), statistics.median(values[:5])),
            ]
            for name, values in epoch_seconds.items()
        ],
    )


def main():
    # threadpoolctl also caps pools that ignore the environment variables.
    with threadpool_limits(ARGS.threads):
        # numpy's own BLAS: scipy, which scikit-learn imports, loads another.
        blas = [
            p
            for p in threadpool_info()
            if p["user_api"] == "blas" and "numpy" in p.get("filepath", "")
        ] or [p for p in threadpool_info() if p["user_api"] == "blas"]
        gflops = blas_sgemm_gflops()
        print(
            f"fastdnn {fastdnn.__version__}, scikit-learn {sklearn.__version__}, "
            f"numpy {np.__version__}, torch "
            f"{torch.__version__ if torch is not None else 'not installed'}"
        )
        print(
            f"{cpu_name()}, {os.cpu_count()} cores, "
            f"{ARGS.threads} thread(s), {REPEATS} repeat(s), {date.today()}"
        )
        # OpenBLAS picks its kernels by CPU model; on a model it does not know
        # it falls back to older ones (Haswell's AVX2 on a Zen 5), which the
        # ratios must show. OPENBLAS_CORETYPE=SkylakeX forces its AVX-512 ones.
        library = (
            f"{blas[0]['internal_api']} {blas[0].get('version')}, "
            f"{blas[0].get('architecture')} kernels"
            if blas
            else "unknown"
        )
        print(f"numpy BLAS ({library}) SGEMM 1024^3: {gflops:.1f} GFLOP/s\n")
        # Fit once untimed so first-use costs (imports, thread start) are not
        # charged to the first workload.
        X, y = tiny_data(np.random.default_rng(1))
        fit_estimator(SklearnMLP, X[:512], y[:512], (16,), 32)
        fit_estimator(fastdnn.MLPClassifier, X[:512], y[:512], (16,), 32)
        if torch is not None:
            fit_torch(X[:512], y[:512], (16,), 32)
        if ARGS.precision == "bfloat16":
            bench_bf16_fit()
            bench_bf16_predict()
            bf16_gemm_table(max(REPEATS, 5), ARGS.threads)
            return
        bench_fit()
        bench_predict()
        if ARGS.long_run:
            bench_long_run(max(ARGS.long_run, 10))
        print("SGEMM, fastdnn against numpy's BLAS on the nets' shapes:")
        sgemm_table(max(REPEATS, 5), ARGS.threads)


if __name__ == "__main__":
    main()
