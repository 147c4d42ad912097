"""fastdnn's sgemm against numpy's BLAS, single-threaded, on the shapes the nets
use. The machine may be shared: each repeat times both in turn and the table
reports medians. With --precision bfloat16, fastdnn's bf16 products (float32
operands in, rounded to bfloat16 while packed; and with op(B) packed once)
against PyTorch's bf16 matmul (oneDNN, on operands already bfloat16, and with
a float32 B cast first), numpy having no bf16 matmul.

    PYTHONPATH=python python benchmarks/bench_gemm.py [--isa avx2] [--repeats 15]
    PYTHONPATH=python python benchmarks/bench_gemm.py --precision bfloat16
"""

import argparse
import time
from functools import partial

import numpy as np
from fastdnn import _core
from threadpoolctl import threadpool_limits

# (m, n, k, transpose_a, transpose_b): forward X·W, backward dX = dY·Wᵀ and
# dW = Xᵀ·dY, small layers, and single-row prediction.
SHAPES = [
    (128, 256, 784, False, False),
    (128, 256, 256, False, False),
    (128, 10, 256, False, False),
    (784, 256, 128, True, False),
    (128, 784, 256, False, True),
    (256, 1024, 784, False, False),
    (256, 1024, 1024, False, False),
    (784, 1024, 256, True, False),
    (1024, 1024, 256, True, False),
    (256, 1024, 1024, False, True),
    # scikit-learn's default net (784-100-10, batches of 200): 100 columns
    # are three B panels and 4 columns.
    (200, 100, 784, False, False),
    (784, 100, 200, True, False),
    (32, 64, 100, False, False),
    (32, 64, 64, False, False),
    (100, 64, 32, True, False),
    (64, 64, 32, True, False),
    (32, 64, 64, False, True),
    (1, 256, 784, False, False),
    # Small serving batches against the mnist net's first layer.
    (8, 256, 784, False, False),
    (16, 256, 784, False, False),
]


def seconds_per_call(function, minimum_seconds=0.02):
    """Mean time of a burst of calls long enough for the clock's resolution."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= minimum_seconds:
            return elapsed / calls
        calls *= 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--isa", default=_core.active_isa(), choices=_core.supported_isas()
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "bfloat16"]
    )
    arguments = parser.parse_args()
    _core.set_isa(arguments.isa)

    # One thread for numpy's BLAS and for our OpenMP pool alike.
    with threadpool_limits(limits=1):
        if arguments.precision == "bfloat16":
            run_bf16(arguments.repeats)
        else:
            run(arguments.repeats)


def _operands(rng, m, n, k, transpose_a, transpose_b):
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
    return a, b


def run(repeats, threads=1):
    rng = np.random.default_rng(0)
    print(
        f"isa={_core.active_isa()}, {threads} thread(s), medians of {repeats} repeats"
    )
    header = (
        f"{'m':>5} {'n':>5} {'k':>5} {'op':>4} {'ours GF/s':>10} {'numpy GF/s':>11}"
    )
    print(header + f" {'ours/numpy':>11}")
    for m, n, k, transpose_a, transpose_b in SHAPES:
        a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
        c = np.zeros((m, n), np.float32)
        op_a = a.T if transpose_a else a
        op_b = b.T if transpose_b else b

        def ours(a=a, b=b, c=c, transpose_a=transpose_a, transpose_b=transpose_b):
            _core.sgemm(a, b, c, transpose_a, transpose_b, 0.0)

        def theirs(op_a=op_a, op_b=op_b, c=c):
            np.matmul(op_a, op_b, out=c)

        ours()
        theirs()
        ours_times, numpy_times = [], []
        for _ in range(repeats):
            ours_times.append(seconds_per_call(ours))
            numpy_times.append(seconds_per_call(theirs))
        flops = 2.0 * m * n * k
        ours_rate = flops / np.median(ours_times) / 1e9
        numpy_rate = flops / np.median(numpy_times) / 1e9
        transposes = ("T" if transpose_a else "N") + ("T" if transpose_b else "N")
        ratio = ours_rate / numpy_rate
        rates = f"{ours_rate:>10.1f} {numpy_rate:>11.1f} {ratio:>11.2f}"
        print(f"{m:>5} {n:>5} {k:>5} {transposes:>4} {rates}")


def run_bf16(repeats, threads=1):
    """The bf16 products, every bf16 kernel this CPU runs, beside float32's
    sgemm and PyTorch's bf16 matmul (when installed) on `threads` threads.

    Each repeat times every product once, in turn. fastdnn's operands are
    float32 and its kernels round them while they pack; "B packed" is the
    automatic kernel with op(B) packed beforehand, as bf16 inference keeps its
    weights. PyTorch's matmul gets operands already bfloat16 ("torch bf16"),
    and "cast+mm" also casts a float32 B first, as autocast does a layer's
    weights at every forward pass.
    """
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    kernels = [k for k in _core.bf16_kernels() if k != "generic"] or ["generic"]
    print(
        f"bf16 products, {threads} thread(s), GFLOP/s, medians of {repeats} repeats; "
        f"torch {torch.__version__ if torch else 'not installed'}"
    )
    header = ["m", "n", "k", "op", "sgemm", *kernels, "B packed"]
    if torch is not None:
        header += [
            "torch bf16",
            "cast+mm",
            "best/torch",
            "packed/torch",
            "best/cast+mm",
        ]
    print(" ".join(f"{cell:>12}" for cell in header))
    for m, n, k, transpose_a, transpose_b in SHAPES:
        a, b = _operands(rng, m, n, k, transpose_a, transpose_b)
        c = np.zeros((m, n), np.float32)
        packed = _core.bf16_pack(b, transpose_b)
        products = [partial(_core.sgemm, a, b, c, transpose_a, transpose_b)]
        products += [
            partial(
                _core.bf16_gemm, a, b, c, transpose_a, transpose_b,
                kernel=kernel, n_threads=threads,
            )
            for kernel in kernels
        ]  # fmt: skip
        products.append(
            partial(
                _core.bf16_gemm_prepacked, a, packed, c, transpose_a, n_threads=threads
            )
        )
        if torch is not None:
            op_a = torch.from_numpy(a).to(torch.bfloat16)
            op_a = op_a.T if transpose_a else op_a
            float_b = torch.from_numpy(b)
            op_b = float_b.to(torch.bfloat16)
            op_b = op_b.T if transpose_b else op_b
            products.append(partial(torch.matmul, op_a, op_b))

            def cast_and_multiply(op_a=op_a, float_b=float_b, transpose=transpose_b):
                cast = float_b.to(torch.bfloat16)
                return torch.matmul(op_a, cast.T if transpose else cast)

            products.append(cast_and_multiply)
        for product in products:
            product()
        times = np.array(
            [
                [seconds_per_call(product) for product in products]
                for _ in range(repeats)
            ]
        )
        rates = 2.0 * m * n * k / np.median(times, axis=0) / 1e9
        transposes = ("T" if transpose_a else "N") + ("T" if transpose_b else "N")
        cells = [m, n, k, transposes, *(f"{rate:.1f}" for rate in rates)]
        if torch is not None:
            best, prepacked, torch_rate, cast_rate = (
                max(rates[1 : 1 + len(kernels)]),
                *rates[1 + len(kernels) :],
            )
            cells += [
                f"{best / torch_rate:.2f}",
                f"{prepacked / torch_rate:.2f}",
                f"{best / cast_rate:.2f}",
            ]
        print(" ".join(f"{cell:>12}" for cell in cells))


if __name__ == "__main__":
    main()
