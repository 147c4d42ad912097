"""The bf16 product (cpp/kernels/bf16_gemm.h) on every bf16 kernel this CPU
runs: against a NumPy reference that rounds the operands to bfloat16 and sums
in float64, the same bits whatever the thread count or the batch a row is
in, and each kernel within the stated tolerance of the others."""

import numpy as np
import pytest
from fastdnn import _core

BF16_KERNELS = _core.bf16_kernels()


def to_bf16(x):
    """float32 x rounded to the nearest bfloat16 (ties to even), as float32."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


def op(x, transpose):
    return x.T if transpose else x


def float32_sum_bound(a, b):
    """A bound on float32 summation's error over k terms: k·2⁻²⁴·Σ|a·b|."""
    k = a.shape[1]
    return (k + 2) * 2.0**-24 * (np.abs(a) @ np.abs(b)) + 1e-30


def random_operands(rng, m, n, k, transpose_a, transpose_b):
    a = rng.normal(size=(k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.normal(size=(n, k) if transpose_b else (k, n)).astype(np.float32)
    return a, b


@pytest.mark.parametrize("kernel", BF16_KERNELS)
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize(
    ("m", "n", "k"),
    [
        (1, 1, 1),
        (1, 10, 7),
        (17, 33, 65),
        (40, 70, 96),
        (33, 16, 31),
        (300, 40, 300),
        # Whole tiles, which AMX stores straight into C: several passes over
        # k, a last pair of rows with one tile, two groups of rows.
        (48, 64, 600),
        (512, 64, 96),
    ],
)
def test_bf16_gemm_matches_the_rounded_reference(
    kernel, transpose_a, transpose_b, m, n, k
):
    rng = np.random.default_rng(m * 10000 + n * 100 + k)
    a, b = random_operands(rng, m, n, k, transpose_a, transpose_b)
    rounded_a = op(to_bf16(a), transpose_a).astype(np.float64)
    rounded_b = op(to_bf16(b), transpose_b).astype(np.float64)
    c = np.zeros((m, n), np.float32)
    _core.bf16_gemm(a, b, c, transpose_a, transpose_b, kernel=kernel)
    expected = rounded_a @ rounded_b
    assert np.all(np.abs(c - expected) <= float32_sum_bound(rounded_a, rounded_b))


@pytest.mark.parametrize("kernel", BF16_KERNELS)
def test_bf16_gemm_epilogue_works_as_sgemms(kernel):
    rng = np.random.default_rng(3)
    m, n, k = 37, 45, 70
    a, b = random_operands(rng, m, n, k, True, False)
    rounded = to_bf16(a).T.astype(np.float64) @ to_bf16(b).astype(np.float64)
    bound = float32_sum_bound(to_bf16(a).T, to_bf16(b))
    bias = rng.normal(size=n).astype(np.float32)
    sums = rng.normal(size=n).astype(np.float32)
    c = np.zeros((m, n), np.float32)
    expected_sums = sums.astype(np.float64) + b.astype(np.float64).sum(axis=0)
    _core.bf16_gemm(a, b, c, True, False, bias=bias, b_column_sums=sums, kernel=kernel)
    assert np.all(np.abs(c - (rounded + bias)) <= bound + 1e-6 * np.abs(bias))
    # The column sums are float32's, of b as it is, not rounded.
    np.testing.assert_allclose(sums, expected_sums, rtol=1e-5, atol=1e-4)
    start = rng.normal(size=(m, n)).astype(np.float32)
    c = start.copy()
    _core.bf16_gemm(a, b, c, True, False, beta=0.5, kernel=kernel)
    assert np.all(np.abs(c - (rounded + 0.5 * start)) <= bound + 1e-6 * np.abs(start))


@pytest.mark.parametrize("kernel", BF16_KERNELS)
@pytest.mark.parametrize("transpose_a", [False, True])
def test_bf16_gemm_does_not_depend_on_threads_or_batch(kernel, transpose_a):
    # Large enough to be split between threads.
    rng = np.random.default_rng(4)
    m, n, k = 130, 100, 200
    a, b = random_operands(rng, m, n, k, transpose_a, True)
    results = []
    for threads in (1, 2):
        c = np.empty((m, n), np.float32)
        _core.bf16_gemm(a, b, c, transpose_a, True, kernel=kernel, n_threads=threads)
        results.append(c)
    np.testing.assert_array_equal(results[0], results[1])
    rows = op(a, transpose_a)
    for i in (0, 17, 129):
        alone = np.empty((1, n), np.float32)
        _core.bf16_gemm(
            np.ascontiguousarray(rows[i : i + 1]), b, alone, False, True, kernel=kernel
        )
        np.testing.assert_array_equal(alone[0], results[0][i])


def test_bf16_kernels_agree_within_the_stated_tolerance():
    # bf16_gemm.h: |difference| ≤ 1e-5 · Σ_p |a_p·b_p| between kernels.
    rng = np.random.default_rng(5)
    m, n, k = 50, 64, 784
    a, b = random_operands(rng, m, n, k, False, False)
    magnitude = np.abs(to_bf16(a)).astype(np.float64) @ np.abs(to_bf16(b))
    results = {}
    for kernel in BF16_KERNELS:
        results[kernel] = np.empty((m, n), np.float32)
        _core.bf16_gemm(a, b, results[kernel], kernel=kernel)
    for kernel, c in results.items():
        assert np.all(np.abs(c - results["generic"]) <= 1e-5 * magnitude), kernel


def test_bf16_gemm_rounds_its_operands():
    # 1 + 2⁻⁹ is not a bfloat16: it rounds to 1 (ties to even), 1 + 3·2⁻⁹ to 1 + 2⁻⁷.
    a = np.array([[1 + 2.0**-9, 1 + 3 * 2.0**-9]], np.float32)
    b = np.ones((2, 1), np.float32)
    for kernel in BF16_KERNELS:
        c = np.zeros((1, 1), np.float32)
        _core.bf16_gemm(a, b, c, kernel=kernel)
        assert c[0, 0] == 2 + 2.0**-7, kernel


def test_portable_path_is_what_the_generic_isa_runs():
    previous = _core.active_isa()
    try:
        _core.set_isa("generic")
        assert _core.automatic_bf16_kernel() == "generic"
    finally:
        _core.set_isa(previous)


def test_unknown_bf16_kernel_is_named():
    c = np.zeros((1, 1), np.float32)
    with pytest.raises(ValueError, match="bf16 kernel"):
        _core.bf16_gemm(
            np.ones((1, 1), np.float32), np.ones((1, 1), np.float32), c, kernel="x"
        )


@pytest.mark.parametrize("kernel", BF16_KERNELS)
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_bf16_gemm_with_b_packed_once_gives_the_same_bits(
    kernel, transpose_a, transpose_b
):
    rng = np.random.default_rng(6)
    m, n, k = 300, 70, 300  # two groups of rows, whole and partial tiles
    a, b = random_operands(rng, m, n, k, transpose_a, transpose_b)
    bias = rng.normal(size=n).astype(np.float32)
    expected = np.empty((m, n), np.float32)
    _core.bf16_gemm(a, b, expected, transpose_a, transpose_b, bias=bias, kernel=kernel)
    packed = _core.bf16_pack(b, transpose_b, kernel=kernel)
    assert packed.kernel == kernel
    c = np.empty((m, n), np.float32)
    _core.bf16_gemm_prepacked(a, packed, c, transpose_a, bias=bias)
    np.testing.assert_array_equal(c, expected)
    with pytest.raises(ValueError, match="inner dimensions"):
        _core.bf16_gemm_prepacked(
            a[:, :-1] if not transpose_a else a[:-1], packed, c, transpose_a
        )
