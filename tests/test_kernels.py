"""The SIMD kernels against numpy, on every instruction-set path this CPU has.

The GEMM's contract (cpp/kernels/gemm.h) is what the estimators' promises
rest on: correct on any shape and transpose, and an element's value never
depends on the rows that share the call or on the thread count.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from fastdnn import _core

ISAS = _core.supported_isas()
# Awkward sizes: 1, primes, just past tile and block edges, a long reduction.
SHAPES = [
    (1, 1, 1),
    (1, 7, 17),
    (7, 17, 33),
    (33, 1, 7),
    (17, 33, 1000),
    (1000, 33, 17),
    (5, 300, 600),
    (130, 70, 300),
    (1, 256, 784),
    (3, 1030, 5),
    (13, 1025, 257),
]


@pytest.fixture(params=ISAS)
def isa(request):
    previous = _core.active_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(previous)


def _operands(rng, m, n, k, transpose_a, transpose_b):
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
    return a, b


def _reference(a, b, c, transpose_a, transpose_b, beta):
    op_a = a.T if transpose_a else a
    op_b = b.T if transpose_b else b
    return beta * c.astype(np.float64) + op_a.astype(np.float64) @ op_b.astype(
        np.float64
    )


def _tolerance(k):
    # float32 products summed over k terms of unit scale.
    return 2e-6 * np.sqrt(max(k, 1)) * 8


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_sgemm_matches_numpy(isa, shape, transpose_a, transpose_b):
    rng = np.random.default_rng(hash(shape) % 2**32)
    m, n, k = shape
    a, b = _operands(rng, m, n, k, transpose_a, transpose_b)
    for beta in (0.0, 1.0, 0.5):
        c = rng.standard_normal((m, n)).astype(np.float32)
        expected = _reference(a, b, c, transpose_a, transpose_b, beta)
        _core.sgemm(a, b, c, transpose_a, transpose_b, beta)
        np.testing.assert_allclose(c, expected, atol=_tolerance(k), rtol=1e-5)


def test_beta_zero_ignores_nan_in_c(isa):
    # beta = 0 means "overwrite": garbage (even NaN) in C must not leak in.
    rng = np.random.default_rng(0)
    a, b = _operands(rng, 9, 20, 11, False, False)
    c = np.full((9, 20), np.nan, np.float32)
    _core.sgemm(a, b, c)
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, atol=1e-4)


def test_zero_k_scales_c(isa):
    c = np.ones((3, 4), np.float32)
    _core.sgemm(np.zeros((3, 0), np.float32), np.zeros((0, 4), np.float32), c, beta=0.5)
    np.testing.assert_array_equal(c, np.full((3, 4), 0.5, np.float32))


def test_strided_views_read_and_write_only_their_elements(isa):
    rng = np.random.default_rng(1)
    big_a = rng.standard_normal((40, 50)).astype(np.float32)
    big_b = rng.standard_normal((60, 70)).astype(np.float32)
    big_c = rng.standard_normal((30, 80)).astype(np.float32)
    a, b = big_a[3:20, 5:38], big_b[2:35, 1:24]  # rows longer than the view
    c = big_c[4:21, 7:30]
    untouched = big_c.copy()
    expected = a.astype(np.float64) @ b
    _core.sgemm(a, b, c)
    np.testing.assert_allclose(c, expected, atol=1e-4)
    outside = np.ones_like(big_c, dtype=bool)
    outside[4:21, 7:30] = False
    np.testing.assert_array_equal(big_c[outside], untouched[outside])


@pytest.mark.parametrize("transpose_a", [False, True])
def test_a_row_is_bit_identical_alone_in_slices_and_in_the_batch(isa, transpose_a):
    # The direct path (few rows) and the packed path (many) must agree bit for
    # bit, and so must every tile position of the packed path.
    rng = np.random.default_rng(2)
    m, n, k = 1000, 256, 784
    a, b = _operands(rng, m, n, k, transpose_a, False)
    rows = (lambda i, j: a[:, i:j]) if transpose_a else (lambda i, j: a[i:j])
    full = np.zeros((m, n), np.float32)
    _core.sgemm(a, b, full, transpose_a)
    for size in (1, 2, 7, 33):
        pieces = np.zeros_like(full)
        for start in range(0, m, size):
            stop = min(start + size, m)
            part = np.ascontiguousarray(rows(start, stop))
            _core.sgemm(part, b, pieces[start:stop], transpose_a)
        assert np.array_equal(pieces, full), f"slices of {size} rows differ"


_THREAD_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fastdnn import _core
    _core.set_isa(sys.argv[1])
    rng = np.random.default_rng(3)
    out = []
    for m, n, k, ta, tb in [(300, 500, 700, 0, 0), (700, 300, 128, 1, 0),
                            (128, 784, 256, 0, 1)]:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
        c = np.zeros((m, n), np.float32)
        _core.sgemm(a, b, c, bool(ta), bool(tb))
        out.append(c.tobytes())
    sys.stdout.buffer.write(b"".join(out))
    """
)


@pytest.mark.parametrize("isa_name", ISAS)
def test_sgemm_is_bit_identical_whatever_the_thread_count(isa_name):
    results = []
    for threads in (1, 2, 3):
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        completed = subprocess.run(
            [sys.executable, "-c", _THREAD_SCRIPT, isa_name],
            env=environment,
            capture_output=True,
            check=True,
            timeout=120,
        )
        results.append(completed.stdout)
    assert results[0] == results[1] == results[2]


def test_unknown_or_unsupported_isa_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown instruction set"):
        _core.set_isa("sse9")
    if "avx512" not in ISAS:
        with pytest.raises(ValueError, match="cannot run"):
            _core.set_isa("avx512")


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_activation_kernels_match_numpy_on_every_path(isa, activation):
    # One hidden unit with weight 1 and bias 0, identity output with weight 1:
    # the network's output is the activation of its input.
    x = np.concatenate(
        [
            np.linspace(-30, 30, 20001, dtype=np.float32),
            np.float32([1e-6, -1e-6, 0.0, 88.0, -88.0, 100.0, -100.0]),
        ]
    ).reshape(-1, 1)
    network = _core.Network([1, 1, 1], activation, "identity")
    network.parameters[:] = [1.0, 0.0, 1.0, 0.0]
    out = network.predict(_core.Dataset(x)).ravel().astype(np.float64)
    z = x.ravel().astype(np.float64)
    expected = {
        "logistic": lambda v: 1 / (1 + np.exp(-v)),
        "tanh": np.tanh,
        "relu": lambda v: np.maximum(v, 0),
        "identity": lambda v: v,
    }[activation](z)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=2e-7)


def test_nan_propagates_through_activations(isa):
    for activation in ("logistic", "tanh", "relu"):
        network = _core.Network([1, 1, 1], activation, "identity")
        network.parameters[:] = [1.0, 0.0, 1.0, 0.0]
        out = network.predict(_core.Dataset(np.float32([[np.nan]])))
        assert np.isnan(out).all(), activation


def test_training_epochs_allocate_nothing_once_the_workspace_is_sized():
    rng = np.random.default_rng(4)
    X = rng.random((1000, 64), dtype=np.float32)
    y = rng.random((1000, 3), dtype=np.float32)
    network = _core.Network([64, 128, 128, 3], "relu", "identity")
    network.initialize(0, 6.0)
    trainer = _core.Trainer(
        network,
        "squared_error",
        "adam",
        1e-4,
        1e-3,
        0.9,
        True,
        0.9,
        0.999,
        1e-8,
        collect_statistics=True,
    )
    data = _core.Dataset(X)
    trainer.train_epoch(data, y, None, 32, True, 1, 0)
    before = _core.buffer_allocation_count()
    for epoch in range(1, 4):
        trainer.train_epoch(data, y, None, 32, True, 1, epoch)
    # 32 batches per epoch: one allocation per batch would show as ~100.
    assert _core.buffer_allocation_count() == before
