"""scikit-learn's common estimator checks, with the parameters sklearn's own
test suite uses for its MLPs (max_iter=100)."""

import pytest
from fastdnn import MLPClassifier, MLPRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

# max_iter=100 does not converge on the checks' data, by design: sklearn's own
# run of these checks sees the same ConvergenceWarning, which pyproject's
# filterwarnings=["error"] would otherwise turn into failures. Every other
# warning still fails the check.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
