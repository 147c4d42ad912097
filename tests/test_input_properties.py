"""Property-based tests of fit, predict and partial_fit's input validation.

Whatever the shape, dtype, memory order, special values or sparse format of
the input, the outcome is one of two: the result the same data gives as a
C-contiguous float64 array (equal within float32 rounding, and finite from
finite input), or a ValueError or TypeError with a message. Never a crash,
another exception or warning, or NaN output. Examples are derandomized, so
every run tests the same inputs.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from fastdnn import MLPClassifier, MLPRegressor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PROPERTIES = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Values that must be refused (not finite, or not in float32), and finite ones
# at the edges that must be taken: subnormals, signed zero, large magnitudes
# the small nets used here carry through without overflow.
REFUSED = [np.nan, np.inf, -np.inf, 1e39, -1e300]
EDGES = [0.0, -0.0, 5e-324, 1e-40, -1e-310, 1e30, -1e25]
SPECIAL = [*REFUSED, *EDGES, None]
DTYPES = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool"]
OTHER_DTYPES = ["object", "complex128", "str"]
SPARSE_FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia", "csr_array"]
# Warnings scikit-learn itself gives for inputs it takes.
EXPECTED_WARNINGS = (ConvergenceWarning, DataConversionWarning)


@st.composite
def values(draw, shape, special):
    """float64 values of the shape: ordinary ones, and the special value at
    a drawn place (where several special values, the first refused one
    would hide the others)."""
    ordinary = st.floats(-4, 4, allow_nan=False, allow_subnormal=False)
    array = draw(hnp.arrays(np.float64, shape, elements=ordinary))
    if special is not None and array.size:
        array.flat[draw(st.integers(0, array.size - 1))] = special
    return array


@st.composite
def presented(draw, array):
    """array in some dtype, memory order, container or sparse format."""
    kind = draw(st.sampled_from(["dense"] * 3 + ["sparse", "list", "other dtype"]))
    dtype = draw(st.sampled_from(OTHER_DTYPES if kind == "other dtype" else DTYPES))
    if np.dtype(dtype).kind in "iub":
        # Integers of moderate size: huge ones (NaN cast to int64 is -2**63)
        # overflow float32's arithmetic in training, not its validation, and
        # so can a few sgd steps on values of a million.
        array = np.clip(np.nan_to_num(array, posinf=0, neginf=0), -1e3, 1e3)
    with np.errstate(all="ignore"):  # float32 and float16 overflow to inf
        array = array.astype(dtype)
    if kind == "other dtype":
        return dtype, array
    if kind == "list":
        return dtype, array.tolist()
    if kind == "sparse":
        if dtype in ("float16", "int8", "uint8"):
            dtype, array = "float64", array.astype(np.float64)
        fmt = draw(st.sampled_from(SPARSE_FORMATS))
        if fmt == "csr_array":
            return dtype, sp.csr_array(array)
        return dtype, sp.csr_matrix(array).asformat(fmt)
    order = draw(st.sampled_from(["C", "F", "strided rows", "strided columns"]))
    if order == "F":
        return dtype, np.asfortranarray(array)
    if order == "strided rows":
        return dtype, np.repeat(array, 2, axis=0)[::2]
    if order == "strided columns":
        return dtype, np.repeat(array, 2, axis=1)[:, ::2]
    return dtype, np.ascontiguousarray(array)


def as_float64(X):
    """The same data as a C-contiguous float64 array, or None where there is
    none (strings that are not numbers, complex numbers)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    if X.dtype.kind == "c":
        return None
    try:
        return np.array(X, dtype=np.float64, order="C")
    except (TypeError, ValueError):
        return None


def outcome(call):
    """('ok', result) or ('error', exception); a failure for any other
    exception, a warning scikit-learn does not give, or an empty message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except (ValueError, TypeError) as error:
            assert str(error), f"{type(error).__name__} without a message"
            return "error", error
    unexpected = [w for w in caught if not issubclass(w.category, EXPECTED_WARNINGS)]
    assert not unexpected, [str(w.message) for w in unexpected]
    return "ok", result


def outputs(model, X):
    if isinstance(model, MLPClassifier):
        return model.predict_proba(X)
    return model.predict(X)


def assert_same_outcome(ours, reference, numeric, finite=True):
    """Our input's outcome against its float64 copy's: the same result, or
    an error. Numeric input must succeed wherever its copy does, and give
    finite outputs where `finite`."""
    if ours[0] == "error":
        assert not numeric or reference[0] == "error", ours[1]
        return
    assert reference[0] == "ok", "accepted what float64 refuses"
    assert not finite or np.isfinite(ours[1]).all()
    np.testing.assert_allclose(ours[1], reference[1], rtol=2e-4, atol=1e-6)


def fresh(Estimator, solver="lbfgs"):
    return Estimator(hidden_layer_sizes=(3,), max_iter=2, solver=solver, random_state=0)


def targets(Estimator, n_rows):
    rng = np.random.default_rng(n_rows)
    if Estimator is MLPClassifier:
        return np.arange(n_rows) % 3
    return rng.standard_normal(n_rows)


ESTIMATORS = st.sampled_from([MLPClassifier, MLPRegressor])
N_ROWS = st.sampled_from([0, 1, 2, 5, 12])
N_FEATURES = st.sampled_from([0, 1, 3])


@pytest.mark.parametrize("special", SPECIAL)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@PROPERTIES
@given(Estimator=ESTIMATORS, data=st.data(), n_rows=N_ROWS, n_features=N_FEATURES)
def test_training_takes_any_form_of_the_same_data_or_names_the_problem(
    method, special, Estimator, data, n_rows, n_features
):
    base = data.draw(values((n_rows, n_features), special))
    dtype, X = data.draw(presented(base))
    y = targets(Estimator, n_rows)
    probe = np.linspace(-1, 1, 4 * max(n_features, 1)).reshape(4, -1)[:, :n_features]

    def train_and_predict(rows):
        if method == "fit":
            return outputs(fresh(Estimator).fit(rows, y), probe)
        # Twice: the first call builds the network, the second checks anew.
        model = fresh(Estimator, solver="sgd")
        classes = {"classes": [0, 1, 2]} if Estimator is MLPClassifier else {}
        model.partial_fit(rows, y, **classes)
        return outputs(model.partial_fit(rows, y), probe)

    ours = outcome(lambda: train_and_predict(X))
    reference_X = as_float64(X)
    if reference_X is None:
        assert ours[0] == "error"
        return
    reference = outcome(lambda: train_and_predict(reference_X))
    # Trained on values as large as 1e30, a net's weights can stay finite
    # yet overflow float32 on ordinary rows: NaN outputs that float32's
    # arithmetic, not validation, makes (predict names them).
    moderate = not np.abs(reference_X).max(initial=0) > 1e6
    assert_same_outcome(ours, reference, numeric=dtype in DTYPES, finite=moderate)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    return {
        Estimator: fresh(Estimator).fit(X, targets(Estimator, 30))
        for Estimator in (MLPClassifier, MLPRegressor)
    }


@pytest.mark.parametrize("special", SPECIAL)
@PROPERTIES
@given(
    Estimator=ESTIMATORS,
    data=st.data(),
    n_rows=N_ROWS,
    n_features=st.sampled_from([3, 3, 3, 2, 0]),
)
def test_predict_takes_any_form_of_the_same_rows_or_names_the_problem(
    fitted, Estimator, special, data, n_rows, n_features
):
    model = fitted[Estimator]
    base = data.draw(values((n_rows, n_features), special))
    dtype, X = data.draw(presented(base))
    reference_X = as_float64(X)
    predictions = [lambda rows: outputs(model, rows), model.predict]
    for predict in predictions:
        ours = outcome(lambda predict=predict: predict(X))
        if reference_X is None:
            assert ours[0] == "error"
            continue
        reference = outcome(lambda predict=predict: predict(reference_X))
        if reference[0] == "ok" and reference[1].dtype.kind not in "fc":
            # Class labels: equal, not close.
            if ours[0] == "ok":
                np.testing.assert_array_equal(ours[1], reference[1])
            else:
                assert dtype not in DTYPES, ours[1]
            continue
        assert_same_outcome(ours, reference, numeric=dtype in DTYPES)


@st.composite
def weights_or_targets(draw, n_rows, special):
    """A 1-D array of about n_rows values holding the special value, in some
    dtype and container."""
    length = draw(st.sampled_from([n_rows] * 4 + [n_rows - 1, n_rows + 1]))
    array = draw(values((length,), special))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "object", "str"]))
    with np.errstate(all="ignore"):
        array = array.astype(dtype)
    shape = draw(st.sampled_from(["1-D", "1-D", "column", "list"]))
    if shape == "column":
        return dtype, array.reshape(-1, 1)
    if shape == "list":
        return dtype, array.tolist()
    return dtype, array


@pytest.mark.parametrize("special", [*SPECIAL, 1e-46, -1.0])
@pytest.mark.parametrize("varied", ["y", "sample_weight"])
@settings(PROPERTIES, max_examples=8)
@given(Estimator=ESTIMATORS, data=st.data(), solver=st.sampled_from(["lbfgs", "adam"]))
def test_targets_and_sample_weight_in_any_form_or_named(
    varied, special, Estimator, data, solver
):
    n_rows = 12
    X = np.random.default_rng(1).standard_normal((n_rows, 3))
    y, sample_weight = targets(Estimator, n_rows), None
    dtype = "float64"
    if varied == "sample_weight":
        dtype, sample_weight = data.draw(weights_or_targets(n_rows, special))
    elif Estimator is MLPRegressor:
        dtype, y = data.draw(weights_or_targets(n_rows, special))
    else:  # class labels are not values: only their number varies
        y = y[: data.draw(st.sampled_from([11, 12]))]
    probe = X[:4]

    def fit(y, sample_weight):
        model = fresh(Estimator, solver=solver)
        return outputs(model.fit(X, y, sample_weight=sample_weight), probe)

    ours = outcome(lambda: fit(y, sample_weight))
    reference_y = as_float64(y) if Estimator is MLPRegressor else y
    reference_weight = None if sample_weight is None else as_float64(sample_weight)
    if reference_y is None or (sample_weight is not None and reference_weight is None):
        assert ours[0] == "error"
        return
    reference = outcome(lambda: fit(reference_y, reference_weight))
    assert_same_outcome(ours, reference, numeric=dtype not in ("object", "str"))
