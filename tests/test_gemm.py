"""SGEMM kernels: every ISA path this CPU runs, against numpy, and the
determinism contract of cpp/kernels/gemm.h (an element never depends on the
other rows in the call, on its tile or on the thread count)."""

import numpy as np
import pytest
from engine_helpers import run_with_threads
from fastdnn import _core

ISAS = _core.supported_isas()
TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]


def operands(rng, m, n, k, transpose_a, transpose_b):
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(np.float32)
    return a, b


def op(matrix, transpose):
    return matrix.T if transpose else matrix


def assert_close_to_reference(result, a, b, c_before, transpose_a, transpose_b, beta):
    a64 = op(a, transpose_a).astype(np.float64)
    b64 = op(b, transpose_b).astype(np.float64)
    c64 = c_before.astype(np.float64)
    expected = a64 @ b64 + (beta * c64 if beta != 0 else 0.0)
    # Rounding error of a float32 sum of k products grows at most like k·eps
    # times the sum of magnitudes.
    k = a64.shape[1]
    magnitude = np.abs(a64) @ np.abs(b64) + np.abs(beta * c64)
    tolerance = (k + 2) * np.finfo(np.float32).eps * magnitude + 1e-30
    np.testing.assert_array_less(np.abs(result - expected), tolerance + 1e-7)


SHAPES = [
    (1, 1, 1),
    (1, 256, 784),
    # Few rows with a tail of vectors short of a whole chunk, the last partial.
    (1, 255, 40),
    (3, 100, 20),
    (2, 17, 33),
    (4, 7, 1000),
    (7, 17, 33),
    (17, 33, 7),
    (33, 1000, 17),
    (1000, 7, 33),
    (130, 70, 600),
    (20, 45, 512),
    # Rows read in passes of a few against B in place, on the paths that do.
    (12, 300, 50),
    (16, 37, 600),
    (29, 70, 200),
    (32, 300, 50),
    # A minibatch's dW: op(A) transposed and small enough to read in place.
    (100, 64, 32),
    # One column: a binary classifier's or a regressor's output layer.
    (7, 1, 1),
    (33, 1, 300),
    (1000, 1, 17),
]


@pytest.mark.parametrize("m, n, k", SHAPES)
@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_matches_numpy(isa, m, n, k, transpose_a, transpose_b, beta):
    rng = np.random.default_rng(m * 1_000_003 + n * 1009 + k)
    a, b = operands(rng, m, n, k, transpose_a, transpose_b)
    c_before = rng.standard_normal((m, n)).astype(np.float32)
    c = c_before.copy()
    _core.sgemm(a, b, c, transpose_a, transpose_b, beta)
    assert_close_to_reference(c, a, b, c_before, transpose_a, transpose_b, beta)


@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
@pytest.mark.parametrize("m, n", [(3, 37), (50, 37), (50, 1)])
def test_strided_views(isa, transpose_a, transpose_b, m, n):
    rng = np.random.default_rng(7)
    k = 300
    a_shape = (k, m) if transpose_a else (m, k)
    b_shape = (n, k) if transpose_b else (k, n)
    a_big = rng.standard_normal((a_shape[0] + 3, a_shape[1] + 11)).astype(np.float32)
    b_big = rng.standard_normal((b_shape[0] + 2, b_shape[1] + 5)).astype(np.float32)
    c_big = rng.standard_normal((m + 4, n + 9)).astype(np.float32)
    a = a_big[2 : 2 + a_shape[0], 5 : 5 + a_shape[1]]
    b = b_big[1 : 1 + b_shape[0], 3 : 3 + b_shape[1]]
    c_big_before = c_big.copy()
    c = c_big[1 : 1 + m, 4 : 4 + n]
    _core.sgemm(a, b, c, transpose_a, transpose_b, 1.0)
    assert_close_to_reference(
        c, a, b, c_big_before[1 : 1 + m, 4 : 4 + n], transpose_a, transpose_b, 1.0
    )
    outside = np.ones(c_big.shape, dtype=bool)
    outside[1 : 1 + m, 4 : 4 + n] = False
    np.testing.assert_array_equal(c_big[outside], c_big_before[outside])


@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("leading", [1024, 2048])
def test_rows_of_a_at_a_cache_aliasing_stride(isa, transpose_b, leading):
    # Rows of A 4 or 8 KiB apart are copied before the product (they would
    # share L1 sets); the bits must be those of the same A at another stride.
    rng = np.random.default_rng(leading)
    m, n, k = 45, 70, 300
    a_wide = rng.standard_normal((m, leading)).astype(np.float32)
    a_aliasing = a_wide[:, 17 : 17 + k]
    a_plain = np.ascontiguousarray(a_aliasing)
    b = operands(rng, m, n, k, False, transpose_b)[1]
    c_aliasing = np.zeros((m, n), np.float32)
    c_plain = np.zeros((m, n), np.float32)
    _core.sgemm(a_aliasing, b, c_aliasing, False, transpose_b, 0.0)
    _core.sgemm(a_plain, b, c_plain, False, transpose_b, 0.0)
    assert c_aliasing.tobytes() == c_plain.tobytes()
    assert_close_to_reference(
        c_aliasing, a_plain, b, np.zeros_like(c_plain), False, transpose_b, 0.0
    )


@pytest.mark.parametrize("leading", [None, 1024])
def test_transposed_a_gives_the_bits_of_a_in_place(isa, leading):
    # A transposed A is packed a row of A at a time, with whole-vector copies
    # that must stop at the row's end; the bits must be those of the same
    # op(A) stored untransposed. Each A is its own allocation, so a copy past
    # its last row is a read past the buffer (the sanitized build's tests).
    rng = np.random.default_rng(17)
    n, k = 37, 600
    b = rng.standard_normal((k, n)).astype(np.float32)
    for m in [*range(1, 34), 45, 100]:
        op_a = rng.standard_normal((m, k)).astype(np.float32)
        if leading is None:
            a_transposed = np.ascontiguousarray(op_a.T)
        else:
            # Rows of A 4 KiB apart: the stride whose in-place reads missed L1.
            a_transposed = np.empty((k, leading), np.float32)[:, -m:]
            a_transposed[...] = op_a.T
        c_transposed = np.zeros((m, n), np.float32)
        c_in_place = np.zeros((m, n), np.float32)
        _core.sgemm(a_transposed, b, c_transposed, True, False, 0.0)
        _core.sgemm(op_a, b, c_in_place, False, False, 0.0)
        assert c_transposed.tobytes() == c_in_place.tobytes(), m
    assert_close_to_reference(
        c_transposed, a_transposed, b, np.zeros_like(c_transposed), True, False, 0.0
    )


@pytest.mark.parametrize("m", [1, 40])
def test_beta_zero_ignores_c(isa, m):
    rng = np.random.default_rng(3)
    a, b = operands(rng, m, 19, 40, False, False)
    c = np.full((m, 19), np.nan, dtype=np.float32)
    _core.sgemm(a, b, c, False, False, 0.0)
    assert_close_to_reference(c, a, b, np.zeros_like(c), False, False, 0.0)


@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
def test_empty_inner_dimension_scales_c(isa, beta):
    c_before = np.arange(12, dtype=np.float32).reshape(3, 4)
    c = c_before.copy()
    _core.sgemm(
        np.zeros((3, 0), np.float32), np.zeros((0, 4), np.float32), c, beta=beta
    )
    np.testing.assert_array_equal(c, beta * c_before)


@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
@pytest.mark.parametrize("n", [70, 1])
def test_rows_independent_of_the_batch(isa, transpose_a, transpose_b, n):
    rng = np.random.default_rng(11)
    m, k = 1000, 600
    a, b = operands(rng, m, n, k, transpose_a, transpose_b)
    bias = rng.standard_normal(n).astype(np.float32)

    def rows(begin, end):
        a_rows = a[:, begin:end] if transpose_a else a[begin:end]
        c = np.tile(bias, (end - begin, 1))
        _core.sgemm(a_rows, b, c, transpose_a, transpose_b, 1.0)
        return c

    whole = rows(0, m)
    one_at_a_time = np.concatenate([rows(i, i + 1) for i in range(m)])
    bounds = np.cumsum([0, 7, 1, 13, 2, 3, 4, 5, 6, 32, 33, 77, 250])
    slices = np.concatenate(
        [rows(begin, end) for begin, end in zip(bounds[:-1], bounds[1:], strict=True)]
        + [rows(bounds[-1], m)]
    )
    assert whole.tobytes() == one_at_a_time.tobytes()
    assert whole.tobytes() == slices.tobytes()


@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
def test_columns_independent_of_the_tile(isa, transpose_a, transpose_b):
    rng = np.random.default_rng(13)
    m, n, k = 45, 203, 300
    a, b = operands(rng, m, n, k, transpose_a, transpose_b)

    def columns(begin, end):
        b_columns = b[begin:end] if transpose_b else b[:, begin:end]
        c = np.zeros((m, end - begin), np.float32)
        _core.sgemm(a, b_columns, c, transpose_a, transpose_b, 0.0)
        return c

    bounds = [0, 1, 4, 21, 50, 83, 150, n]
    pieces = [
        columns(begin, end) for begin, end in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    assert columns(0, n).tobytes() == np.concatenate(pieces, axis=1).tobytes()


# Products large enough to be split between threads, on every path.
THREADED_PRODUCTS = """
import hashlib, sys
import numpy as np
from fastdnn import _core

digest = hashlib.sha256()
for isa in _core.supported_isas():
    _core.set_isa(isa)
    rng = np.random.default_rng(5)
    # Split by columns, by rows (a single B panel), by column groups of rows
    # read in place (in one pass, and in passes where the path reads up to 16
    # or 32 rows in place; 28 rows of 800 columns in 4 passes), by column
    # groups and ranges of passes (12 or 28 rows of 20 columns) and by row
    # groups of one column.
    for m, n, k in [(301, 203, 700), (900, 20, 300), (2, 5000, 300), (12, 3000, 300),
                    (28, 800, 300), (28, 20, 5000), (2500, 1, 1000)]:
        bias = rng.standard_normal(n).astype(np.float32)
        for transpose_a in (False, True):
            for transpose_b in (False, True):
                a = rng.standard_normal((k, m) if transpose_a else (m, k))
                b = rng.standard_normal((n, k) if transpose_b else (k, n))
                c = np.ones((m, n), np.float32)
                _core.sgemm(a.astype(np.float32), b.astype(np.float32), c,
                            transpose_a, transpose_b, 1.0)
                digest.update(c.tobytes())
                sums = np.zeros(n, np.float32)
                _core.sgemm(a.astype(np.float32), b.astype(np.float32), c,
                            transpose_a, transpose_b, 0.0, bias, sums)
                digest.update(c.tobytes() + sums.tobytes())
print(digest.hexdigest())
"""


def test_results_independent_of_thread_count():
    digests = {run_with_threads(THREADED_PRODUCTS, t) for t in ("1", "2", "3")}
    assert len(digests) == 1


def test_isa_selection():
    assert "generic" in ISAS
    assert _core.active_isa() in ISAS
    with pytest.raises(ValueError, match="unknown instruction set"):
        _core.set_isa("sse9")


@pytest.mark.parametrize(
    "m, n, k", [(1, 70, 33), (3, 5, 300), (45, 203, 600), (100, 1, 600)]
)
@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
def test_bias_epilogue_rounds_as_a_bias_filled_c(
    isa, m, n, k, transpose_a, transpose_b
):
    # The fused bias must give exactly what filling C with it and beta = 1 gives.
    rng = np.random.default_rng(m + n + k)
    a, b = operands(rng, m, n, k, transpose_a, transpose_b)
    bias = rng.standard_normal(n).astype(np.float32)
    filled = np.tile(bias, (m, 1))
    _core.sgemm(a, b, filled, transpose_a, transpose_b, 1.0)
    fused = np.full((m, n), np.nan, np.float32)
    _core.sgemm(a, b, fused, transpose_a, transpose_b, 0.5, bias=bias)
    assert fused.tobytes() == filled.tobytes()


# The last two are split between threads: by columns, then by rows, where
# every row group packs all of B but only one may sum it.
@pytest.mark.parametrize(
    "m, n, k", [(2, 37, 300), (64, 1, 32), (130, 70, 600), (900, 20, 300)]
)
@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
def test_column_sums_epilogue_adds_the_rows_of_op_b_in_order(
    isa, m, n, k, transpose_a, transpose_b
):
    rng = np.random.default_rng(m * n + k)
    a, b = operands(rng, m, n, k, transpose_a, transpose_b)
    start = rng.standard_normal(n).astype(np.float32)
    expected = start.copy()
    for row in op(b, transpose_b):  # float32, one row after the other
        expected += row
    sums = start.copy()
    c = np.zeros((m, n), np.float32)
    _core.sgemm(a, b, c, transpose_a, transpose_b, 0.0, b_column_sums=sums)
    assert sums.tobytes() == expected.tobytes()
    plain = np.zeros_like(c)
    _core.sgemm(a, b, plain, transpose_a, transpose_b, 0.0)
    assert c.tobytes() == plain.tobytes()


def test_epilogue_vectors_must_match_n():
    a, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="bias must be a contiguous vector of 4"):
        _core.sgemm(a, b, np.zeros((2, 4), np.float32), bias=np.ones(3, np.float32))


@pytest.mark.parametrize("argument", ["a", "b", "c", "bias", "b_column_sums"])
def test_operands_must_be_float32_not_converted(argument):
    # Converting c would have the kernel write into a temporary copy.
    operands = {
        "a": np.ones((2, 3), np.float32),
        "b": np.ones((3, 4), np.float32),
        "c": np.zeros((2, 4), np.float32),
        "bias": np.ones(4, np.float32),
        "b_column_sums": np.zeros(4, np.float32),
    }
    operands[argument] = operands[argument].astype(np.float64)
    with pytest.raises(ValueError, match=f"{argument} must be a float32 numpy array"):
        _core.sgemm(**operands)
    with pytest.raises(ValueError, match=f"{argument} must be a float32 numpy array"):
        _core.sgemm(**{**operands, argument: operands[argument].tolist()})


def view_at_offset(values, offset, row_stride):
    """A copy of values whose first element lies `offset` floats past a 64-byte
    boundary, rows `row_stride` floats apart."""
    rows, columns = values.shape
    buffer = np.empty(rows * row_stride + offset + 16, np.float32)
    start = (-buffer.ctypes.data // 4) % 16 + offset
    view = buffer[start : start + rows * row_stride].reshape(rows, row_stride)
    view = view[:, :columns]
    view[...] = values
    return view


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [3, 16, 21, 100, 256, 300])
@pytest.mark.parametrize("offset", [1, 4, 8, 15])
def test_few_rows_give_the_same_bits_whatever_the_alignment_of_b(isa, m, n, offset):
    # B's rows off a vector boundary put the columns before the first aligned
    # one in a masked vector of their own: every element must still get the
    # same sum, in every k block (k = 300 makes two), with beta and with bias.
    rng = np.random.default_rng(m * 100 + n + offset)
    k = 300
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    row_stride = 16 * ((n + 15) // 16 + 1)
    aligned = view_at_offset(b, 0, row_stride)
    shifted = view_at_offset(b, offset, row_stride)
    for beta, with_bias in [(0.0, False), (0.5, False), (0.0, True)]:
        c_before = rng.standard_normal((m, n)).astype(np.float32)
        epilogue = {"bias": bias} if with_bias else {}
        expected = c_before.copy()
        _core.sgemm(a, aligned, expected, False, False, beta, **epilogue)
        result = c_before.copy()
        _core.sgemm(a, shifted, result, False, False, beta, **epilogue)
        assert result.tobytes() == expected.tobytes(), (beta, with_bias)
        start, start_beta = (
            (np.tile(bias, (m, 1)), 1.0) if with_bias else (c_before, beta)
        )
        assert_close_to_reference(result, a, b, start, False, False, start_beta)


@pytest.mark.parametrize("argument", ["a", "b", "c"])
def test_unaligned_operands_are_rejected(argument):
    # Read in place, an unaligned operand's floats would be misaligned loads.
    operands = {
        "a": np.ones((2, 3), np.float32),
        "b": np.ones((3, 4), np.float32),
        "c": np.zeros((2, 4), np.float32),
    }
    values = operands[argument]
    raw = bytearray(b"\0" + values.tobytes())
    operands[argument] = np.frombuffer(raw, np.float32, values.size, 1).reshape(
        values.shape
    )
    with pytest.raises(ValueError, match=f"{argument} must be aligned to 4 bytes"):
        _core.sgemm(**operands)
