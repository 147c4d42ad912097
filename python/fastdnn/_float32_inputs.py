"""Inputs the engine's float32 can hold.

fastdnn validates inputs in float64, as scikit-learn does, then computes in
float32. A value finite in float64 but beyond float32's range would be
infinity in the engine (NaN predictions, an untrained model), and a sample
weight below float32's normal range zero (a loss of 0 / 0): they are refused
here, naming the value.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import assert_all_finite

from fastdnn import _core

FLOAT32_MAX = float(np.finfo(np.float32).max)
# The engine's kernels treat subnormal float32 values as zero
# (cpp/kernels/floating_point_mode.h): the smallest weight that counts is
# float32's smallest normal number.
FLOAT32_SMALLEST_NORMAL = float(np.finfo(np.float32).smallest_normal)
FLOAT32_EPSILON = float(np.finfo(np.float32).eps)


def within_float32_range(X):
    """Whether a dense float ndarray holds only values float32 represents:
    no NaN, no infinity, no magnitude beyond float32's largest.

    A C-contiguous float32 array is scanned by the engine, vectorised on the
    exponent bits. Other arrays are judged by their extremes: NaN propagates
    to them, and min and max need no temporary array as np.isfinite does.
    """
    if X.dtype == np.float32 and X.flags.c_contiguous:
        return _core.all_finite(X)
    if X.size == 0:
        return True
    return -FLOAT32_MAX <= float(X.min()) and float(X.max()) <= FLOAT32_MAX


def _location(values, mask_of):
    """'[row, column]' of the first value mask_of selects, and the value."""
    if sparse.issparse(values):
        entries = values.tocoo()
        first = np.flatnonzero(mask_of(entries.data))[0]
        index = (entries.row[first], entries.col[first])
        return index, entries.data[first]
    values = np.asarray(values)
    index = tuple(np.argwhere(mask_of(values))[0])
    return index, values[index]


def check_float32_range(values, name):
    """Raise ValueError where finite values (an array or sparse matrix) hold
    a magnitude beyond float32's range, which the engine would see as
    infinity. Integer arrays always fit."""
    data = values.data if sparse.issparse(values) else np.asarray(values)
    if data.dtype.kind != "f" or within_float32_range(data):
        return
    index, value = _location(values, lambda array: np.abs(array) > FLOAT32_MAX)
    raise ValueError(
        f"{name}[{', '.join(map(str, index))}] is {value:.6g}, beyond float32's "
        f"range (±{FLOAT32_MAX:.8g}): fastdnn computes in float32, where it "
        f"would be infinity. Scale {name} (with StandardScaler, for instance) "
        "or clip it."
    )


def check_finite_in_float32(values, name, estimator_name=None):
    """scikit-learn's error for NaN or infinity in values, then ours for
    finite values beyond float32's range."""
    assert_all_finite(values, input_name=name, estimator_name=estimator_name)
    check_float32_range(values, name)


def check_sample_weight_for_float32(sample_weight, name="sample_weight"):
    """Raise ValueError where float32, in which the engine weighs samples,
    would lose a validated sample_weight: a magnitude beyond its range, or a
    non-zero weight it counts as zero that is not negligible beside the
    largest weight (one that is, float64 would lose in the sums as well)."""
    check_float32_range(sample_weight, name)
    magnitude = np.abs(sample_weight)
    lost = (magnitude > 0) & (magnitude < FLOAT32_SMALLEST_NORMAL)
    if not lost.any():
        return
    largest = magnitude.max()
    lost &= magnitude > FLOAT32_EPSILON * largest
    if lost.any():
        (index,), value = _location(sample_weight, lambda _: lost)
        raise ValueError(
            f"{name}[{index}] is {value:.6g}, which fastdnn's float32 counts as "
            f"zero (its smallest normal number is {FLOAT32_SMALLEST_NORMAL:.8g}) "
            f"while the largest weight is {largest:.6g}: rescale {name} into "
            "float32's range."
        )
