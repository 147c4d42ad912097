"""scikit-learn's own MLP tests, run against fastdnn's estimators.

The test file is read from the installed scikit-learn, its import of
MLPClassifier and MLPRegressor is swapped for fastdnn's in memory, and its
test functions are collected here: nothing of it is copied into this
repository, so every scikit-learn upgrade brings its new tests.

Tests that reach into scikit-learn's private internals cannot run against
another implementation; they are skipped, each with the private name it needs.
So is the one whose behaviour fastdnn changes on purpose, with the reason.
"""

import types
from pathlib import Path

import pytest
import sklearn.neural_network

SKLEARN_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
FASTDNN_IMPORT = "from fastdnn import MLPClassifier, MLPRegressor"

# One line per test: the scikit-learn internal it reads or sets.
NEEDS_PRIVATE = {
    "test_fit": "presets _coef_grads, _coef_velocity, ... on an unfitted model",
    "test_gradient": "_loss_grad_lbfgs",
    "test_learning_rate_warmstart": "_optimizer.learning_rate",
    "test_adaptive_learning_rate": "_optimizer.learning_rate",
    "test_n_iter_no_change": "_no_improvement_count",
    "test_n_iter_no_change_inf": "_no_improvement_count",
}

# Behaviour fastdnn changes on purpose, one line per test with the reason.
DIFFERS_BY_DESIGN = {
    "test_nonfinite_params": "X of about 1e308 is refused at validation, naming "
    "the value and float32's range (tests/test_inputs.py), where scikit-learn "
    "trains on it and then raises 'Solver produced non-finite parameter weights'",
}


def _load_suite():
    path = Path(sklearn.neural_network.__file__).parent / "tests" / "test_mlp.py"
    source = path.read_text()
    if source.count(SKLEARN_IMPORT) != 1:
        raise RuntimeError(
            f"{path} no longer imports the estimators with {SKLEARN_IMPORT!r}: "
            "update SKLEARN_IMPORT to the line it uses now."
        )
    module = types.ModuleType("sklearn_test_mlp_on_fastdnn")
    module.__file__ = str(path)
    code = compile(source.replace(SKLEARN_IMPORT, FASTDNN_IMPORT), str(path), "exec")
    exec(code, module.__dict__)
    return module


_suite = _load_suite()


@pytest.fixture
def global_random_seed():
    """scikit-learn's conftest fixture, at its default seed."""
    return 42


def test_suite_runs_fastdnn():
    assert _suite.MLPClassifier.__module__.startswith("fastdnn")
    assert _suite.MLPRegressor.__module__.startswith("fastdnn")


def test_every_listed_test_exists():
    assert set(NEEDS_PRIVATE) | set(DIFFERS_BY_DESIGN) <= set(vars(_suite))


for _name, _test in vars(_suite).items():
    if _name.startswith("test_") and callable(_test):
        if _name in NEEDS_PRIVATE:
            _test = pytest.mark.skip(
                reason=f"needs scikit-learn internals: {NEEDS_PRIVATE[_name]}"
            )(_test)
        elif _name in DIFFERS_BY_DESIGN:
            _test = pytest.mark.skip(
                reason=f"differs by design: {DIFFERS_BY_DESIGN[_name]}"
            )(_test)
        globals()[_name] = _test
